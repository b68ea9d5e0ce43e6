// An action spec as a reader wants it: the script, then the settings that differ per action, then the raw JSON.
import { fact, h } from './dom.js';

export function specView(spec) {
  const env = Object.entries(spec.env ?? {});
  const json = (value) => h('code', {}, JSON.stringify(value));
  return h('div', { class: 'spec' },
    h('dl', { class: 'facts' },
      spec.description ? fact('Description', spec.description) : null,
      fact('Kind', spec.kind ?? 'oneshot'),
      fact('Interpreter', spec.interpreter ?? 'sh'),
      fact('Working directory', spec.cwd ?? h('span', { class: 'muted' }, 'a fresh per-job directory')),
      spec.dependsOn?.length ? fact('Depends on', spec.dependsOn.join(', ')) : null,
      env.length ? fact('Environment', env.map(([key, value]) => h('div', {}, h('code', {}, `${key}=${value}`)))) : null,
      spec.secrets?.length ? fact('Secrets', spec.secrets.join(', ')) : null,
      spec.timeoutSecs ? fact('Timeout', `${spec.timeoutSecs} s`) : null,
      spec.retry ? fact('Retry', json(spec.retry)) : null,
      spec.restart ? fact('Restart', spec.restart) : null,
      spec.restartPolicy ? fact('Restart policy', json(spec.restartPolicy)) : null,
      spec.probe ? fact('Probe', json(spec.probe)) : null,
      fact('Stop', `${spec.stopSignal ?? 'TERM'}, then KILL after ${spec.stopTimeoutSecs ?? 10} s`),
      spec.tags?.length ? fact('Tags', spec.tags.map(tag => h('span', { class: 'tag' }, tag))) : null),
    h('figure', {}, h('figcaption', {}, 'Script'), h('pre', { class: 'script' }, spec.script ?? '')),
    h('details', {}, h('summary', {}, 'JSON'), h('pre', { class: 'json' }, JSON.stringify(spec, null, 2))));
}
