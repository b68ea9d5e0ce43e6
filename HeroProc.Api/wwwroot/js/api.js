// The only way the dashboard talks to the server: the public HTTP API, with the bearer token when one is stored.
import { askForToken, storedToken } from './auth.js';

/** A non-2xx answer; `problem` is the RFC 9457 document (title, detail, errors: field -> messages). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Sends a request and returns the parsed JSON (or text, or null for an empty answer). A 401 opens the
 * token prompt and sends the request again with the token entered. `body` may be an object or a raw
 * JSON string (pasted runs are sent as typed, so the server reports their unknown fields).
 */
export async function api(path, { method = 'GET', body } = {}) {
  for (;;) {
    const headers = { accept: 'application/json' };
    const token = storedToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
    });
    if (response.status === 401) {
      await askForToken();
      continue;
    }
    if (!response.ok) throw new ApiError(response.status, await readProblem(response));
    const text = await response.text();
    if (!text) return null;
    return (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
  }
}

async function readProblem(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { title: response.statusText, detail: text || `HTTP ${response.status}` };
  }
}

/** A URL for an EventSource: it cannot send headers, so the event-stream routes take the token as access_token. */
export function streamUrl(path, params = new URLSearchParams()) {
  const token = storedToken();
  if (token) params.set('access_token', token);
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

/** Builds "path?query" from an object, skipping empty values. */
export function withQuery(path, values) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') params.set(key, value);
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}
