// One run: its state and buttons, the dependency graph, every job, and the selected job's panel; all live.
import { api } from '../api.js';
import { fact, h, replaceChildren, toast } from '../dom.js';
import { holdEvents } from '../events.js';
import { badge, durationCell, exitText, runIsFinished, timeCell } from '../format.js';
import { dependencyGraph, maxDrawnJobs, tooLargeNote } from '../dag.js';
import { jobPanel } from '../job-panel.js';
import { replaceQuery } from '../router.js';

export async function renderRunDetail({ main, params: [id], query, signal }) {
  const deliver = holdEvents(['run', 'job'], signal);
  let run = await api(`/api/runs/${id}`);
  if (signal.aborted) return;
  const jobs = new Map(run.jobs.map(job => [job.id, job]));
  const header = h('div');
  const rows = new Map(run.jobs.map(job => [job.id, jobRow(job)]));
  const graph = run.jobs.length <= maxDrawnJobs ? dependencyGraph(run.jobs, name => select(run.jobs.find(job => job.name === name))) : null;
  const panelHost = h('div');
  let panel = null;
  let panelController = null;

  main.append(header,
    h('section', { 'aria-labelledby': 'graph-title' }, h('h2', { id: 'graph-title' }, 'Dependency graph'),
      h('div', { class: 'graph-scroll' }, graph ? graph.element : tooLargeNote(run.jobs.length))),
    h('section', { 'aria-labelledby': 'jobs-title' }, h('h2', { id: 'jobs-title' }, 'Jobs'),
      h('table', { class: 'data jobs' },
        h('thead', {}, h('tr', {}, ['Job', 'Status', 'Attempt', 'Started', 'Duration', 'Exit', 'PID', 'Error'].map(title => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, [...rows.values()]))),
    panelHost);
  showHeader();

  function jobRow(job) {
    return h('tr', { dataset: { jobId: job.id } },
      h('td', {}, h('a', { href: `#/runs/${run.id}?job=${job.id}`, onclick: event => { event.preventDefault(); select(job); } }, job.name)),
      h('td', {}, badge(job.status)),
      h('td', {}, job.attempt),
      h('td', {}, timeCell(job.startedAt)),
      h('td', {}, durationCell(job.startedAt, job.finishedAt)),
      h('td', { class: 'exit' }, exitText(job)),
      h('td', {}, job.pid ?? '—'),
      h('td', { class: 'error-text' }, job.error ?? ''));
  }

  function select(job) {
    if (!job) return;
    panelController?.abort();
    panelController = new AbortController();
    panel = jobPanel(jobs.get(job.id), AbortSignal.any([signal, panelController.signal]));
    replaceChildren(panelHost, panel.element);
    for (const [jobId, row] of rows) row.classList.toggle('selected', jobId === job.id);
    graph?.select(job.name);
    replaceQuery({ job: job.id });
  }

  function showHeader() {
    const finished = runIsFinished(run.status);
    const button = (label, action, className) => h('button', { type: 'button', class: className, onclick: action }, label);
    replaceChildren(header,
      h('div', { class: 'title-row' },
        h('h1', {}, `Run #${run.id}`, run.name ? ` · ${run.name}` : ''), h('span', { class: 'run-status' }, badge(run.status)),
        finished ? null : button('Cancel run', cancelRun, 'danger'),
        finished && run.status !== 'succeeded' && !run.service ? button('Retry', retryRun) : null),
      h('dl', { class: 'facts compact' },
        fact('Created', timeCell(run.createdAt)),
        fact('Started', timeCell(run.startedAt)),
        fact('Finished', timeCell(run.finishedAt)),
        fact('Duration', durationCell(run.startedAt, run.finishedAt)),
        run.tags.length ? fact('Tags', run.tags.map(tag => h('span', { class: 'tag' }, tag))) : null,
        run.service ? fact('Service', h('a', { href: `#/services/${encodeURIComponent(run.service)}` }, run.service)) : null,
        run.schedule ? fact('Schedule', run.schedule) : null,
        run.retryOf ? fact('Retry of', h('a', { href: `#/runs/${run.retryOf}` }, `#${run.retryOf}`)) : null,
        run.maxParallel ? fact('Max parallel', run.maxParallel) : null));
  }

  async function cancelRun() {
    try {
      await api(`/api/runs/${run.id}/cancel`, { method: 'POST' });
      toast(`Cancel of run #${run.id} requested.`);
    } catch (error) {
      toast(error.message, 'error');
    }
  }

  async function retryRun() {
    try {
      const retry = await api(`/api/runs/${run.id}/retry`, { method: 'POST' });
      location.hash = `#/runs/${retry.id}`;
    } catch (error) {
      toast(error.message, 'error');
    }
  }

  const applyRun = summary => {
    if (summary.id !== run.id) return;
    run = { ...run, ...summary };
    showHeader();
  };
  const applyJob = job => {
    if (job.runId !== run.id || !jobs.has(job.id)) return;
    jobs.set(job.id, job);
    const row = jobRow(job);
    row.classList.toggle('selected', rows.get(job.id).classList.contains('selected'));
    rows.get(job.id).replaceWith(row);
    rows.set(job.id, row);
    graph?.update(job);
    if (panel && Number(panelHost.firstElementChild?.dataset.jobId) === job.id) panel.update(job);
  };

  const wanted = jobs.get(Number(query.get('job')));
  select(wanted ?? run.jobs.find(job => job.status === 'running')
    ?? run.jobs.find(job => ['failed', 'timed_out'].includes(job.status)) ?? run.jobs[0]);
  deliver({ run: applyRun, job: applyJob });
}
