// One job of a run: its facts, a cancel button, its state history and its live log.
import { api } from './api.js';
import { fact, h, replaceChildren, toast } from './dom.js';
import { badge, durationCell, exitText, jobIsFinished, timeCell } from './format.js';
import { logView } from './log-view.js';

/** Returns { element, update(job) }; everything it opened closes when `signal` aborts. */
export function jobPanel(job, signal) {
  const facts = h('div');
  const history = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const element = h('section', { class: 'job-panel', 'aria-labelledby': 'job-title', dataset: { jobId: job.id } },
    facts,
    h('h3', {}, 'Output'), logView(job, signal),
    h('h3', {}, 'State history'), history);

  async function showHistory() {
    const events = await api(`/api/jobs/${job.id}/events`);
    if (signal.aborted) return;
    replaceChildren(history, h('table', { class: 'data history' },
      h('thead', {}, h('tr', {}, ['Status', 'Attempt', 'At', 'Detail'].map(title => h('th', { scope: 'col' }, title)))),
      h('tbody', {}, events.map(event => h('tr', {},
        h('td', {}, badge(event.status)), h('td', {}, event.attempt), h('td', {}, timeCell(event.at)),
        h('td', { class: 'detail' }, event.detail ?? ''))))));
  }

  function showFacts(current) {
    const cancel = jobIsFinished(current.status) ? null : h('button', {
      type: 'button', class: 'danger',
      onclick: async () => {
        try {
          await api(`/api/jobs/${current.id}/cancel`, { method: 'POST' });
          toast(`Cancel of job ${current.name} requested.`);
        } catch (error) {
          toast(error.message, 'error');
        }
      },
    }, 'Cancel job');
    replaceChildren(facts,
      h('div', { class: 'title-row' }, h('h2', { id: 'job-title' }, `Job ${current.name}`), badge(current.status), cancel),
      h('dl', { class: 'facts compact' },
        fact('Job', `#${current.id}`),
        fact('Action', current.action ?? 'inline'),
        fact('Attempt', current.attempt),
        fact('Process', current.pid ?? '—'),
        fact('Exit', h('span', { class: 'exit' }, exitText(current))),
        fact('Started', timeCell(current.startedAt)),
        fact('Finished', timeCell(current.finishedAt)),
        fact('Duration', durationCell(current.startedAt, current.finishedAt)),
        fact('Depends on', current.dependsOn.length ? current.dependsOn.join(', ') : 'nothing'),
        current.error ? fact('Error', h('span', { class: 'error-text' }, current.error)) : null));
  }

  showFacts(job);
  showHistory().catch(error => replaceChildren(history, h('p', { class: 'alert' }, error.message)));
  return {
    element,
    update(current) {
      showFacts(current);
      showHistory().catch(() => null);
    },
  };
}
