// Overview: runs and jobs by status, services with their state, the latest runs, and the server itself.
import { api } from '../api.js';
import { fact, h, replaceChildren, toast } from '../dom.js';
import { coalesce, holdEvents } from '../events.js';
import { badge, bytes, duration, timeCell } from '../format.js';
import { applyRunEvent, runTable } from '../run-table.js';

const latestCount = 10;
const runStatuses = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];

export async function renderOverview({ main, signal }) {
  const counts = h('section', { 'aria-labelledby': 'counts-title' }, h('h2', { id: 'counts-title' }, 'Runs by status'), h('p', { class: 'muted' }, 'Loading…'));
  const services = h('section', { 'aria-labelledby': 'services-title' }, h('h2', { id: 'services-title' }, 'Services'));
  const latest = h('section', { class: 'latest', 'aria-labelledby': 'latest-title' }, h('h2', { id: 'latest-title' }, 'Latest runs'));
  const server = h('section', { 'aria-labelledby': 'server-title' }, h('h2', { id: 'server-title' }, 'Server'));
  main.append(h('h1', {}, 'Overview'), counts, h('div', { class: 'columns' }, latest, services), server);

  const deliver = holdEvents(['run', 'service'], signal);
  const [runs, serviceList, system, metrics] = await Promise.all([
    api(`/api/runs?limit=${latestCount}`), api('/api/services'), api('/api/system'), statusCounts(),
  ]);
  if (signal.aborted) return;
  const table = runTable(runs.items);
  const empty = runs.items.length ? null : h('p', { class: 'muted' }, 'No runs yet. ', h('a', { href: '#/submit' }, 'Submit one.'));
  latest.append(...[table, empty, h('p', {}, h('a', { href: '#/runs' }, 'All runs →'))].filter(Boolean));
  showCounts(counts, metrics);
  showServices(services, serviceList.items);
  showServer(server, system, signal);

  // Counts come from /metrics, which reads the database: refreshed at most once a second while runs change.
  const refreshCounts = coalesce(async () => {
    const fresh = await statusCounts();
    if (!signal.aborted) showCounts(counts, fresh);
  }, 1000);
  const applyRun = run => {
    applyRunEvent(table.tBodies[0], run, () => true, latestCount);
    empty?.remove();
    refreshCounts();
  };
  const refreshServices = coalesce(async () => {
    const fresh = await api('/api/services');
    if (!signal.aborted) showServices(services, fresh.items);
  }, 500);
  deliver({ run: applyRun, service: refreshServices });
}

/**
 * Runs and jobs by status. /api/system has only totals; /metrics (part of the public API, Prometheus text)
 * has the heroproc_runs and heroproc_jobs gauges by status.
 */
async function statusCounts() {
  const text = await api('/metrics');
  const counts = { runs: {}, jobs: {} };
  for (const match of String(text).matchAll(/^heroproc_(runs|jobs)\{status="([a-z_]+)"\} ([0-9.e+]+)$/gm))
    counts[match[1]][match[2]] = Number(match[3]);
  return counts;
}

function showCounts(section, counts) {
  replaceChildren(section, h('h2', { id: 'counts-title' }, 'Runs by status'),
    h('ul', { class: 'counts' }, runStatuses.map(status => h('li', {},
      h('a', { href: `#/runs?status=${status}`, class: `count status-${status}` },
        h('span', { class: 'count-value', dataset: { count: status } }, String(counts.runs[status] ?? 0)),
        h('span', { class: 'count-label' }, status))))),
    h('p', { class: 'muted' }, 'Jobs: ', Object.entries(counts.jobs).filter(([, n]) => n > 0)
      .map(([status, n]) => `${n} ${status.replace('_', ' ')}`).join(' · ') || 'none'));
}

function showServices(section, services) {
  replaceChildren(section, h('h2', { id: 'services-title' }, 'Services'),
    services.length === 0
      ? h('p', { class: 'muted' }, 'No services defined.')
      : h('table', { class: 'data' },
        h('thead', {}, h('tr', {}, ['Service', 'State', 'Health', 'Wanted'].map(title => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, services.map(service => h('tr', {},
          h('td', {}, h('a', { href: `#/services/${encodeURIComponent(service.name)}` }, service.name)),
          h('td', {}, badge(service.status.state, 'state')),
          h('td', {}, badge(service.status.health, 'health')),
          h('td', {}, service.wantedStatus))))));
}

function showServer(section, system, signal) {
  const pause = h('button', {
    type: 'button',
    onclick: async () => {
      try {
        await api(`/api/system/${system.paused ? 'resume' : 'pause'}`, { method: 'POST' });
        const fresh = await api('/api/system');
        if (!signal.aborted) showServer(section, fresh, signal);
      } catch (error) {
        toast(error.message, 'error');
      }
    },
  }, system.paused ? 'Resume starting jobs' : 'Pause starting jobs');
  const { counts, recovery } = system;
  replaceChildren(section, h('h2', { id: 'server-title' }, 'Server'),
    h('dl', { class: 'facts' },
      fact('Version', system.version),
      fact('Started', timeCell(system.startedAt)),
      fact('Uptime', h('span', { dataset: { since: system.startedAt } }, duration(system.uptimeSecs * 1000))),
      fact('Scheduling', system.paused ? badge('paused', 'state') : 'running'),
      fact('Database', bytes(system.databaseBytes)),
      fact('Stored', `${counts.runs} runs, ${counts.jobs} jobs, ${counts.actions} actions, ${counts.services} services, ${counts.schedules} schedules, ${counts.secrets} secrets`),
      fact('Last start', `${recovery.adopted} jobs adopted, ${recovery.completedWhileDown} completed while down, ${recovery.lost} lost`)),
    pause);
}
