// One connection to GET /api/events for the whole dashboard; pages subscribe to run, job, service and reset events.
import { api, streamUrl } from './api.js';

const eventTypes = ['run', 'job', 'service', 'reset'];
const listeners = new Map(eventTypes.map(type => [type, new Set()]));
let lastEventId = null;
let retryDelayMs = 1000;
let missedUnknown = false;

/** Calls `listener(data)` for each event of `type` until `signal` aborts (the page was left). */
export function onEvent(type, listener, signal) {
  listeners.get(type).add(listener);
  signal.addEventListener('abort', () => listeners.get(type).delete(listener));
}

/**
 * Subscribes now but holds the events until the page has loaded its data, so a change published while
 * the page was fetching is applied after it, not lost: `const deliver = holdEvents(['run'], signal);`
 * then, once rendered, `deliver({ run: applyRun })`. They arrive in order, so the last one wins.
 */
export function holdEvents(types, signal) {
  const held = [];
  let handlers = null;
  for (const type of types) onEvent(type, data => (handlers ? handlers[type](data) : held.push([type, data])), signal);
  return ready => {
    handlers = ready;
    for (const [type, data] of held.splice(0)) handlers[type](data);
  };
}

/** `fn` at most once per `delayMs`, after the last call of a burst: one refresh for a hundred events. */
export function coalesce(fn, delayMs) {
  let timer = null;
  return () => {
    timer ??= setTimeout(() => {
      timer = null;
      fn();
    }, delayMs);
  };
}

/**
 * Connects, and resolves once the stream is open (or has failed, so a 401 can still reach the token
 * prompt): pages load their data after that, so no change falls between their read and the stream.
 */
export function startEvents() {
  return new Promise(resolve => connect(resolve));
}

function connect(settled = () => {}) {
  // A fresh EventSource cannot send Last-Event-ID as a header; the route also reads it from the query.
  const params = new URLSearchParams();
  if (lastEventId) params.set('lastEventId', lastEventId);
  const source = new EventSource(streamUrl('/api/events', params));
  source.onopen = () => {
    retryDelayMs = 1000;
    showConnection('live');
    settled();
    // Without an id to resume from, what happened while disconnected is unknown: pages reload as after a reset.
    if (missedUnknown) {
      missedUnknown = false;
      for (const listener of listeners.get('reset')) listener({ reason: 'reconnected' });
    }
  };
  for (const type of eventTypes) {
    source.addEventListener(type, event => {
      if (event.lastEventId) lastEventId = event.lastEventId;
      const data = JSON.parse(event.data);
      for (const listener of listeners.get(type)) listener(data);
    });
  }
  source.onerror = () => {
    settled();
    missedUnknown ||= lastEventId === null;
    // While CONNECTING the browser retries by itself (sending Last-Event-ID); CLOSED means it gave up,
    // for instance on a 401 after the token changed: ask through the API (which prompts), then reconnect.
    if (source.readyState === EventSource.CONNECTING) {
      showConnection('reconnecting');
      return;
    }
    source.close();
    showConnection('offline');
    setTimeout(reconnect, retryDelayMs);
    retryDelayMs = Math.min(retryDelayMs * 2, 30000);
  };
}

async function reconnect() {
  try {
    await api('/api/system');
  } catch {
    // Server unreachable: the stream's own error path backs off again.
  }
  connect();
}

function showConnection(state) {
  const indicator = document.getElementById('live');
  indicator.dataset.state = state;
  indicator.textContent = { live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' }[state];
}
