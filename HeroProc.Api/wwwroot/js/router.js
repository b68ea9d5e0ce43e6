// Hash routing (#/runs, #/runs/12?job=3): the server needs no fallback route, and every view has a link.

let currentView = null;
let currentPath = null;
let renderCurrent = () => {};

/** Renders the current page again from fresh data (after the event stream said it missed events). */
export const reloadView = () => renderCurrent();

/** Parses location.hash into a path and its query parameters. */
function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  return { path, query: new URLSearchParams(query) };
}

/** Changes the hash's query without rendering the page again (for state a page already shows, like the selected job). */
export function replaceQuery(values) {
  const { path } = currentRoute();
  const query = new URLSearchParams(values).toString();
  history.replaceState(null, '', `#${path}${query ? `?${query}` : ''}`);
}

/**
 * routes: [[/^\/runs\/(\d+)$/, renderRunDetail, 'Run'], ...]. Each render gets { main, params, query, signal };
 * the signal aborts when the user navigates away, which closes the page's streams and subscriptions.
 */
export function startRouter(main, routes, notFound) {
  const render = () => {
    currentView?.abort();
    currentView = new AbortController();
    const { path, query } = currentRoute();
    const pathChanged = path !== currentPath;
    currentPath = path;
    main.replaceChildren();
    markCurrentLink(path);
    const match = routes.map(([pattern, page, title]) => [path.match(pattern), page, title]).find(([found]) => found);
    const [found, page, title] = match ?? [[], notFound, 'Not found'];
    document.title = `${title} · HeroProc`;
    const params = found.slice(1).map(decodeURIComponent);
    Promise.resolve(page({ main, params, query, signal: currentView.signal })).catch(error => {
      if (!currentView.signal.aborted) main.append(failure(error));
    });
    // Keyboard and screen-reader users land on the new page's content, not on the link they activated.
    if (pathChanged) main.focus({ preventScroll: true });
  };
  renderCurrent = render;
  window.addEventListener('hashchange', render);
  render();
}

function markCurrentLink(path) {
  const section = `/${path.split('/')[1] ?? ''}`;
  for (const link of document.querySelectorAll('nav a')) {
    if (link.getAttribute('href') === `#${section}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function failure(error) {
  const box = document.createElement('p');
  box.className = 'alert';
  box.setAttribute('role', 'alert');
  box.textContent = `Could not load this page: ${error.message}`;
  return box;
}
