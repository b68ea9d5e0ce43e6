// The dashboard's entry point: routes, the live event stream and the clock that keeps relative times fresh.
import { h } from './dom.js';
import { onEvent, startEvents } from './events.js';
import { startClock } from './format.js';
import { reloadView, startRouter } from './router.js';
import { renderAction, renderActions } from './pages/actions.js';
import { renderOverview } from './pages/overview.js';
import { renderRunDetail } from './pages/run-detail.js';
import { renderRuns } from './pages/runs.js';
import { renderServiceDetail } from './pages/service-detail.js';
import { renderServices } from './pages/services.js';
import { renderSubmit } from './pages/submit.js';

const routes = [
  [/^\/$/, renderOverview, 'Overview'],
  [/^\/runs$/, renderRuns, 'Runs'],
  [/^\/runs\/(\d+)$/, renderRunDetail, 'Run'],
  [/^\/services$/, renderServices, 'Services'],
  [/^\/services\/([^/]+)$/, renderServiceDetail, 'Service'],
  [/^\/actions$/, renderActions, 'Actions'],
  [/^\/actions\/([^/]+)$/, renderAction, 'Action'],
  [/^\/submit$/, renderSubmit, 'Submit'],
];

const notFound = ({ main }) => main.append(h('h1', {}, 'Not found'), h('p', {}, 'No such page. ', h('a', { href: '#/' }, 'Back to the overview.')));

await startEvents();
startRouter(document.getElementById('main'), routes, notFound);
startClock();
// The server could not replay what the stream missed: what the page shows may be stale, so load it again.
onEvent('reset', reloadView, new AbortController().signal);
