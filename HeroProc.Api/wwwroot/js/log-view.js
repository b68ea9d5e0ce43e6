// A job's output, followed live from GET /api/jobs/{id}/logs/stream: stdout and stderr told apart,
// follow or pause, a stream filter and a search that keeps only matching lines.
import { api, streamUrl } from './api.js';
import { h, replaceChildren } from './dom.js';

// Lines kept in the page; older ones are dropped (the full output stays on the server).
const maxLines = 20000;

export function logView(job, signal) {
  const lines = [];
  let dropped = 0;
  let lastSeq = 0;
  let rendered = 0;           // how many of `lines` are in the DOM (or were filtered out)
  let lastAttempt = null;
  let following = true;
  let ended = false;
  let frameRequested = false;

  const body = h('div', { class: 'log', role: 'log', 'aria-live': 'off', tabindex: 0, 'aria-label': `Output of job ${job.name}` });
  const status = h('span', { class: 'log-status' }, 'Connecting…');
  const streamChoice = h('select', { 'aria-label': 'Streams', onchange: rerender },
    h('option', { value: '' }, 'stdout and stderr'), h('option', { value: 'stdout' }, 'stdout only'), h('option', { value: 'stderr' }, 'stderr only'));
  const search = h('input', { type: 'search', placeholder: 'Search the output', 'aria-label': 'Search the output', oninput: rerender });
  const followButton = h('button', { type: 'button', 'aria-pressed': 'true', onclick: toggleFollow }, 'Following');
  const element = h('section', { class: 'log-view', 'aria-label': `Log of ${job.name}` },
    h('div', { class: 'toolbar' }, streamChoice, search, followButton, status), body);

  function toggleFollow() {
    following = !following;
    followButton.setAttribute('aria-pressed', String(following));
    followButton.textContent = following ? 'Following' : 'Paused';
    if (following) schedule();
    else showStatus();
  }

  const matches = line => (!streamChoice.value || line.stream === streamChoice.value)
    && (!search.value || line.text.toLowerCase().includes(search.value.toLowerCase()));

  function lineElement(line) {
    return h('div', { class: 'line', dataset: { stream: line.stream, seq: line.seq } },
      h('span', { class: 'stream-tag', title: line.stream }, line.stream === 'stderr' ? 'err' : 'out'),
      h('span', { class: 'text' }, highlight(line.text, search.value)));
  }

  function appendPending() {
    frameRequested = false;
    if (!following) return showStatus();
    const fragment = document.createDocumentFragment();
    for (; rendered < lines.length; rendered++) {
      const line = lines[rendered];
      if (!matches(line)) continue;
      if (line.attempt !== lastAttempt) {
        if (lastAttempt !== null) fragment.append(h('div', { class: 'attempt' }, `attempt ${line.attempt}`));
        lastAttempt = line.attempt;
      }
      fragment.append(lineElement(line));
    }
    body.append(fragment);
    while (body.childElementCount > maxLines) body.firstElementChild.remove();
    body.scrollTop = body.scrollHeight;
    showStatus();
  }

  function rerender() {
    replaceChildren(body);
    rendered = 0;
    lastAttempt = null;
    appendPending();
  }

  function schedule() {
    if (!frameRequested) {
      frameRequested = true;
      requestAnimationFrame(appendPending);
    }
  }

  function showStatus() {
    const waiting = lines.length - rendered;
    const parts = [];
    if (!following && waiting > 0) parts.push(`Paused: ${waiting} new line${waiting === 1 ? '' : 's'}`);
    if (search.value) parts.push(`${body.querySelectorAll('.line').length} matching lines`);
    else parts.push(`${lines.length + dropped} line${lines.length + dropped === 1 ? '' : 's'}`);
    if (dropped) parts.push(`the first ${dropped} not kept here`);
    parts.push(ended ? 'ended' : 'live');
    status.textContent = parts.join(' · ');
  }

  function add(line) {
    if (line.seq <= lastSeq) return; // a reconnect that starts over sends lines already shown
    lastSeq = line.seq;
    lines.push(line);
    if (lines.length > maxLines) {
      lines.shift();
      dropped++;
      rendered = Math.max(0, rendered - 1);
    }
    schedule();
  }

  function connect() {
    const source = new EventSource(streamUrl(`/api/jobs/${job.id}/logs/stream`));
    signal.addEventListener('abort', () => source.close());
    source.addEventListener('line', event => add(JSON.parse(event.data)));
    source.addEventListener('end', () => {
      // The server closes the stream after 'end'; without close() the browser would reconnect forever.
      source.close();
      ended = true;
      schedule();
      showStatus();
    });
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED || ended || signal.aborted) return;
      // Refused (a 401 after the token changed, or the server restarting): ask through the API, which prompts for a token.
      status.textContent = 'Disconnected, retrying…';
      setTimeout(() => api(`/api/jobs/${job.id}`).catch(() => null).then(() => signal.aborted || connect()), 2000);
    };
  }

  connect();
  return element;
}

/** The text with each case-insensitive occurrence of `term` in a <mark>. */
function highlight(text, term) {
  if (!term) return text;
  const parts = [];
  const lower = text.toLowerCase();
  const needle = term.toLowerCase();
  let from = 0;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, from)) {
    parts.push(text.slice(from, at), h('mark', {}, text.slice(at, at + term.length)));
    from = at + term.length;
  }
  parts.push(text.slice(from));
  return parts;
}
