// The runs table, shared by the overview's latest runs and the runs page; rows are replaced in place on live events.
import { h } from './dom.js';
import { badge, durationCell, jobCountsText, timeCell } from './format.js';

export function runTable(runs, caption) {
  return h('table', { class: 'data runs' },
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {},
      ['Run', 'Name', 'Status', 'Jobs', 'Tags', 'Origin', 'Created', 'Duration'].map(title => h('th', { scope: 'col', class: title.toLowerCase() }, title)))),
    h('tbody', {}, runs.map(runRow)));
}

function runRow(run) {
  return h('tr', { dataset: { runId: run.id } },
    h('td', {}, h('a', { href: `#/runs/${run.id}` }, `#${run.id}`)),
    h('td', {}, run.name ?? h('span', { class: 'muted' }, '—')),
    h('td', {}, badge(run.status)),
    h('td', { class: 'job-counts' }, jobCountsText(run.jobCounts)),
    h('td', { class: 'tags' }, run.tags.map(tag => h('span', { class: 'tag' }, tag))),
    h('td', { class: 'origin' }, origin(run)),
    h('td', {}, timeCell(run.createdAt)),
    h('td', {}, durationCell(run.startedAt, run.finishedAt)));
}

function origin(run) {
  if (run.service) return h('a', { href: `#/services/${encodeURIComponent(run.service)}` }, `service ${run.service}`);
  if (run.schedule) return `schedule ${run.schedule}`;
  if (run.retryOf) return h('a', { href: `#/runs/${run.retryOf}` }, `retry of #${run.retryOf}`);
  return h('span', { class: 'muted' }, 'submitted');
}

/**
 * Applies a live run event to a table body: replaces the run's row, or, when `accepts(run)` says a new
 * run belongs on this page, puts it on top and keeps at most `limit` rows.
 */
export function applyRunEvent(tbody, run, accepts, limit) {
  const existing = tbody.querySelector(`tr[data-run-id="${run.id}"]`);
  if (existing) {
    existing.replaceWith(runRow(run));
    return;
  }
  if (!accepts(run)) return;
  const newer = [...tbody.rows].find(row => Number(row.dataset.runId) < run.id);
  tbody.insertBefore(runRow(run), newer ?? null);
  while (tbody.rows.length > limit) tbody.lastElementChild.remove();
}
