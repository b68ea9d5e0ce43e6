// Actions: the stored specs (standalone and service-owned), and one spec in full.
import { api, withQuery } from '../api.js';
import { append, h, replaceChildren } from '../dom.js';
import { timeCell } from '../format.js';
import { specView } from '../spec-view.js';

export async function renderActions({ main, query, signal }) {
  const tag = query.get('tag') ?? '';
  const body = h('tbody');
  const more = h('div');
  main.append(h('h1', {}, 'Actions'),
    h('form', {
      class: 'filters', role: 'search',
      onsubmit: event => {
        event.preventDefault();
        location.hash = withQuery('/actions', { tag: new FormData(event.target).get('tag') });
      },
    }, h('label', {}, h('span', {}, 'Tag'), h('input', { name: 'tag', type: 'search', value: tag, placeholder: 'any' })), h('button', { type: 'submit' }, 'Apply')),
    h('table', { class: 'data actions' },
      h('thead', {}, h('tr', {}, ['Action', 'Service', 'Description', 'Kind', 'Interpreter', 'Tags', 'Updated'].map(title => h('th', { scope: 'col' }, title)))),
      body),
    more);

  // Sorted by name and paged by cursor; "More" appends the next page rather than replacing this one.
  const load = async cursor => {
    const page = await api(withQuery('/api/actions', { tag, cursor, limit: 100 }));
    if (signal.aborted) return;
    body.append(...page.items.map(action => h('tr', {},
      h('td', {}, h('a', { href: `#/actions/${encodeURIComponent(action.name)}` }, action.name)),
      h('td', {}, action.service ? h('a', { href: `#/services/${encodeURIComponent(action.service)}` }, action.service) : h('span', { class: 'muted' }, '—')),
      h('td', {}, action.description ?? ''),
      h('td', {}, action.kind),
      h('td', {}, action.interpreter),
      h('td', {}, (action.tags ?? []).map(t => h('span', { class: 'tag' }, t))),
      h('td', {}, timeCell(action.updatedAt)))));
    replaceChildren(more,
      body.rows.length === 0 ? h('p', { class: 'muted' }, 'No actions stored.') : null,
      page.nextCursor ? h('button', { type: 'button', onclick: () => load(page.nextCursor) }, 'More') : null);
  };
  await load('');
}

export async function renderAction({ main, params: [name], signal }) {
  const action = await api(`/api/actions/${encodeURIComponent(name)}`);
  if (signal.aborted) return;
  append(main,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/actions' }, 'Actions'), ' / ', action.name),
    h('h1', {}, `Action ${action.name}`),
    action.service ? h('p', {}, 'Owned by service ', h('a', { href: `#/services/${encodeURIComponent(action.service)}` }, action.service),
      ': change it by redefining the service.') : null,
    h('p', { class: 'muted' }, 'Created ', timeCell(action.createdAt), ' · updated ', timeCell(action.updatedAt)),
    specView(action));
}
