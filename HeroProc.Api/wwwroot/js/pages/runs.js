// Runs: filtered by status, tag and service, paged by the server's cursor, rows updated live.
import { api, withQuery } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { holdEvents } from '../events.js';
import { applyRunEvent, runTable } from '../run-table.js';

const statuses = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];
const pageSizes = [50, 100, 500];
// Cursors of the pages before this one, so "Newer" can step back; kept per filter while the dashboard is open.
const trails = new Map();

export async function renderRuns({ main, query, signal }) {
  const filter = { status: query.get('status') ?? '', tag: query.get('tag') ?? '', service: query.get('service') ?? '' };
  const limit = pageSizes.includes(Number(query.get('limit'))) ? Number(query.get('limit')) : pageSizes[0];
  const cursor = query.get('cursor') ?? '';
  const trailKey = JSON.stringify([filter, limit]);
  const trail = trails.get(trailKey) ?? [];
  trails.set(trailKey, trail);

  const deliver = holdEvents(['run'], signal);
  main.append(h('h1', {}, 'Runs'), filterForm(filter, limit));
  const results = h('section', { 'aria-label': 'Runs', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  main.append(results);

  const page = await api(withQuery('/api/runs', { ...filter, limit, cursor }));
  if (signal.aborted) return;
  const table = runTable(page.items);
  const empty = page.items.length ? null : h('p', { class: 'muted' }, 'No runs match.');
  replaceChildren(results, table, empty, pager(filter, limit, cursor, page.nextCursor, trail));
  results.setAttribute('aria-busy', 'false');

  // New runs can only belong on the first page (newest first); later pages just keep their rows fresh.
  const belongsHere = run => !cursor
    && (!filter.status || run.status === filter.status)
    && (!filter.tag || run.tags.includes(filter.tag))
    && (!filter.service || run.service === filter.service);
  deliver({
    run: run => {
      applyRunEvent(table.tBodies[0], run, belongsHere, limit);
      if (table.tBodies[0].rows.length) empty?.remove();
    },
  });
}

function filterForm(filter, limit) {
  const field = (label, control) => h('label', {}, h('span', {}, label), control);
  return h('form', {
    class: 'filters', role: 'search',
    onsubmit: event => {
      event.preventDefault();
      const data = new FormData(event.target);
      location.hash = withQuery('/runs', Object.fromEntries(data.entries()));
    },
  },
  field('Status', h('select', { name: 'status' }, h('option', { value: '' }, 'any'),
    statuses.map(status => h('option', { value: status, selected: status === filter.status }, status)))),
  field('Tag', h('input', { name: 'tag', value: filter.tag, type: 'search', placeholder: 'any' })),
  field('Service', h('input', { name: 'service', value: filter.service, type: 'search', placeholder: 'any' })),
  field('Per page', h('select', { name: 'limit' }, pageSizes.map(size => h('option', { value: size, selected: size === limit }, size)))),
  h('button', { type: 'submit' }, 'Apply'));
}

function pager(filter, limit, cursor, nextCursor, trail) {
  const go = target => () => {
    location.hash = withQuery('/runs', { ...filter, limit: limit === pageSizes[0] ? '' : limit, cursor: target });
  };
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    h('button', {
      type: 'button', disabled: !cursor,
      onclick: () => go(trail.pop() ?? '')(),
    }, '← Newer'),
    h('button', { type: 'button', disabled: !cursor, onclick: () => { trail.length = 0; go('')(); } }, 'Newest'),
    h('button', {
      type: 'button', disabled: !nextCursor,
      onclick: () => { trail.push(cursor); go(nextCursor)(); },
    }, 'Older →'));
}
