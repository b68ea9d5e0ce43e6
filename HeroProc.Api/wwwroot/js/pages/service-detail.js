// One service: state and health, start/stop/restart, its processes, history, logs and definition.
import { api, withQuery } from '../api.js';
import { fact, h, replaceChildren, toast } from '../dom.js';
import { coalesce, holdEvents } from '../events.js';
import { badge, timeCell } from '../format.js';
import { specView } from '../spec-view.js';
import { cpuText, memoryText, pidText, uptimeText } from '../service-status.js';

// Memory, CPU and uptime change without events; logs have no follow stream for a service.
const refreshMs = 2000;
const maxLogLines = 5000;

const unavailable = error => h('p', { class: 'muted' }, `Not available: ${error.message}`);

export async function renderServiceDetail({ main, params: [name], signal }) {
  const deliver = holdEvents(['service'], signal);
  const path = `/api/services/${encodeURIComponent(name)}`;
  const header = h('div');
  const processes = h('div');
  const history = h('div');
  const logs = h('div', { class: 'log', role: 'log', 'aria-live': 'off', tabindex: 0, 'aria-label': `Output of service ${name}` });
  const definition = h('div');
  main.append(header,
    h('section', { 'aria-labelledby': 'processes-title' }, h('h2', { id: 'processes-title' }, 'Processes'), processes),
    h('section', { 'aria-labelledby': 'logs-title' }, h('h2', { id: 'logs-title' }, 'Logs'), logs),
    h('section', { 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, 'Events'), history),
    h('section', { 'aria-labelledby': 'definition-title' }, h('h2', { id: 'definition-title' }, 'Definition'), definition));

  let logRunId = null;
  let logCursor = '';
  let jobNames = new Map();

  async function control(verb) {
    try {
      await api(`${path}/${verb}`, { method: 'POST' });
      toast(`${verb[0].toUpperCase()}${verb.slice(1)} of ${name} requested.`);
      await refresh();
    } catch (error) {
      toast(error.message, 'error');
    }
  }

  function showHeader(service) {
    const { status } = service;
    replaceChildren(header,
      h('div', { class: 'title-row' },
        h('h1', {}, `Service ${service.name}`),
        h('span', { class: 'service-state' }, badge(status.state, 'state')), badge(status.health, 'health'),
        h('span', { class: 'buttons' },
          h('button', { type: 'button', onclick: () => control('start') }, 'Start'),
          h('button', { type: 'button', class: 'danger', onclick: () => control('stop') }, 'Stop'),
          h('button', { type: 'button', onclick: () => control('restart') }, 'Restart'))),
      h('dl', { class: 'facts compact' },
        service.description ? fact('Description', service.description) : null,
        fact('Wanted', service.wantedStatus),
        status.reason ? fact('Reason', status.reason) : null,
        fact('Since', timeCell(status.since)),
        fact('PID', pidText(status)),
        fact('Uptime', uptimeText(status)),
        fact('Restarts', status.restarts),
        fact('Memory', memoryText(status)),
        fact('CPU', cpuText(status)),
        fact('Last exit code', status.lastExitCode ?? '—'),
        fact('Run', status.runId ? h('a', { href: `#/runs/${status.runId}` }, `#${status.runId}`) : '—'),
        fact('Requires', service.requires.length ? service.requires.join(', ') : 'nothing'),
        fact('After', service.after.length ? service.after.join(', ') : 'nothing')));
    replaceChildren(processes, status.processes.length === 0 ? h('p', { class: 'muted' }, 'No process actions (oneshots only).')
      : h('table', { class: 'data' },
        h('thead', {}, h('tr', {}, ['Action', 'State', 'Health', 'PID', 'Uptime', 'Restarts', 'Memory', 'CPU', 'Last exit'].map(title => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, status.processes.map(process => h('tr', {},
          h('td', {}, process.action), h('td', {}, badge(process.state, 'state')), h('td', {}, badge(process.health, 'health')),
          h('td', {}, pidText(process)), h('td', {}, uptimeText(process)), h('td', {}, process.restarts),
          h('td', {}, memoryText(process)), h('td', {}, cpuText(process)), h('td', {}, process.lastExitCode ?? '—'))))));
  }

  async function showHistory() {
    const events = await api(`${path}/events`);
    if (signal.aborted) return;
    replaceChildren(history, events.length === 0 ? h('p', { class: 'muted' }, 'Nothing happened yet.')
      : h('table', { class: 'data history' },
        h('thead', {}, h('tr', {}, ['At', 'State', 'Action', 'Detail'].map(title => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, events.slice(-200).reverse().map(event => h('tr', {},
          h('td', {}, timeCell(event.at)), h('td', {}, event.state ? badge(event.state, 'state') : ''),
          h('td', {}, event.action ?? ''), h('td', { class: 'detail' }, event.detail ?? ''))))));
  }

  /** Appends the lines stored since the last read; a new run of the service (a restart) starts the log over. */
  async function showLogs(runId) {
    if (runId !== logRunId) {
      logRunId = runId;
      logCursor = '';
      jobNames = runId ? new Map((await api(`/api/runs/${runId}`)).jobs.map(job => [job.id, job.name])) : new Map();
      replaceChildren(logs);
    }
    const page = await api(withQuery(`${path}/logs`, { after: logCursor }));
    if (signal.aborted) return;
    logCursor = page.next ?? logCursor;
    if (page.lines.length) logs.querySelector('p.muted')?.remove();
    const atBottom = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
    logs.append(...page.lines.map(line => h('div', { class: 'line', dataset: { stream: line.stream } },
      h('span', { class: 'stream-tag', title: line.stream }, line.stream === 'stderr' ? 'err' : 'out'),
      h('span', { class: 'job-tag' }, jobNames.get(line.jobId) ?? `job ${line.jobId}`),
      h('span', { class: 'text' }, line.text))));
    while (logs.childElementCount > maxLogLines) logs.firstElementChild.remove();
    if (atBottom) logs.scrollTop = logs.scrollHeight;
    if (logs.childElementCount === 0) logs.append(h('p', { class: 'muted' }, 'No output yet.'));
  }

  async function refresh() {
    const service = await api(path);
    if (signal.aborted) return;
    showHeader(service);
    // History and logs are extras: when either cannot be read, the page still shows the service and its buttons.
    await Promise.all([
      showHistory().catch(error => replaceChildren(history, unavailable(error))),
      showLogs(service.status.runId ?? null).catch(error => replaceChildren(logs, unavailable(error))),
    ]);
    return service;
  }

  const service = await refresh();
  if (signal.aborted) return;
  replaceChildren(definition,
    service.actions.map(action => h('section', { class: 'action' }, h('h3', {}, action.name), specView(action))));
  deliver({ service: coalesce(() => refresh().catch(() => null), 300) });
  const timer = setInterval(() => refresh().catch(() => null), refreshMs);
  signal.addEventListener('abort', () => clearInterval(timer));
}
