// The dashboard's entry point: routes, the live event stream and the clock that keeps relative times fresh.
import { h } from './dom.js';
import { onEvent, startEvents } from './events.js';
import { startClock } from './format.js';
import { reloadView, startRouter } from './router.js';

// Pages load the stream before their data, so no change falls between the two (see startEvents).
const eventsReady = startEvents();

/** A page module loaded on first visit: a first paint fetches only the modules of the page it shows. */
const page = (file, render) => async view => {
  const [module] = await Promise.all([import(`./pages/${file}`), eventsReady]);
  return module[render](view);
};

const routes = [
  [/^\/$/, page('overview.js', 'renderOverview'), 'Overview'],
  [/^\/runs$/, page('runs.js', 'renderRuns'), 'Runs'],
  [/^\/runs\/(\d+)$/, page('run-detail.js', 'renderRunDetail'), 'Run'],
  [/^\/services$/, page('services.js', 'renderServices'), 'Services'],
  [/^\/services\/([^/]+)$/, page('service-detail.js', 'renderServiceDetail'), 'Service'],
  [/^\/actions$/, page('actions.js', 'renderActions'), 'Actions'],
  [/^\/actions\/([^/]+)$/, page('actions.js', 'renderAction'), 'Action'],
  [/^\/submit$/, page('submit.js', 'renderSubmit'), 'Submit'],
];

const notFound = ({ main }) => main.append(h('h1', {}, 'Not found'), h('p', {}, 'No such page. ', h('a', { href: '#/' }, 'Back to the overview.')));

startRouter(document.getElementById('main'), routes, notFound);
startClock();
// The server could not replay what the stream missed: what the page shows may be stale, so load it again.
onEvent('reset', reloadView, new AbortController().signal);
