// Services: the state of every service in one request (GET /api/services), refreshed on service events.
import { api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { coalesce, holdEvents } from '../events.js';
import { badge } from '../format.js';
import { cpuText, memoryText, pidText, uptimeText } from '../service-status.js';

// Memory, CPU and uptime change without events: the list is read again this often while it is shown.
const refreshMs = 5000;

export async function renderServices({ main, signal }) {
  const deliver = holdEvents(['service'], signal);
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('h1', {}, 'Services'), list);

  const show = async () => {
    const page = await api('/api/services');
    if (signal.aborted) return;
    replaceChildren(list, page.items.length === 0
      ? h('p', { class: 'muted' }, 'No services defined. Define one with PUT /api/services/{name}.')
      : h('table', { class: 'data services' },
        h('thead', {}, h('tr', {},
          ['Service', 'Description', 'State', 'Health', 'Wanted', 'PID', 'Uptime', 'Restarts', 'Memory', 'CPU'].map(title => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, page.items.map(service => h('tr', { dataset: { service: service.name } },
          h('td', {}, h('a', { href: `#/services/${encodeURIComponent(service.name)}` }, service.name)),
          h('td', {}, service.description ?? ''),
          h('td', {}, badge(service.status.state, 'state'), service.status.reason ? h('div', { class: 'muted' }, service.status.reason) : null),
          h('td', {}, badge(service.status.health, 'health')),
          h('td', {}, service.wantedStatus),
          h('td', {}, pidText(service.status)),
          h('td', {}, uptimeText(service.status)),
          h('td', {}, service.status.restarts),
          h('td', {}, memoryText(service.status)),
          h('td', {}, cpuText(service.status)))))));
  };
  await show();
  deliver({ service: coalesce(show, 500) });
  const timer = setInterval(show, refreshMs);
  signal.addEventListener('abort', () => clearInterval(timer));
}
