// How values look: times in the viewer's time zone, relative times and durations, sizes, status badges.
import { h } from './dom.js';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "14 Mar 2026, 10:15:30" in the viewer's zone; today's times drop the date. */
function localTime(iso) {
  const date = new Date(iso);
  return date.toDateString() === new Date().toDateString() ? timeOnly.format(date) : dateTime.format(date);
}

/** "3 minutes ago", "in 5 seconds". */
function timeAgo(iso, now = Date.now()) {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const units = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
  const [unit, size] = units.find(([, size]) => Math.abs(seconds) >= size) ?? ['second', 1];
  return relative.format(Math.trunc(seconds / size), unit);
}

/** "120 ms", "4.2 s", "3 min 5 s", "2 h 10 min", "3 d 4 h". */
export function duration(ms) {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const parts = [[Math.floor(seconds / 86400), 'd'], [Math.floor(seconds / 3600) % 24, 'h'], [Math.floor(seconds / 60) % 60, 'min'], [Math.floor(seconds) % 60, 's']];
  const first = parts.findIndex(([value]) => value > 0);
  return parts.slice(first, first + 2).map(([value, unit]) => `${value} ${unit}`).join(' ');
}

/** A <time> showing the local time, with the relative time beside it (kept fresh by startClock). */
export function timeCell(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'when' },
    h('time', { datetime: iso, title: new Date(iso).toString() }, localTime(iso)),
    ' ', h('span', { class: 'muted', dataset: { ago: iso } }, timeAgo(iso)));
}

/** From start to end; still counting (by startClock) while there is no end. */
export function durationCell(startIso, endIso) {
  if (!startIso) return h('span', { class: 'muted' }, '—');
  if (endIso) return h('span', {}, duration(new Date(endIso) - new Date(startIso)));
  return h('span', { dataset: { since: startIso } }, duration(Date.now() - new Date(startIso)));
}

/** Refreshes every relative time and running duration on the page once a second. */
export function startClock() {
  setInterval(() => {
    const now = Date.now();
    for (const element of document.querySelectorAll('[data-ago]')) setText(element, timeAgo(element.dataset.ago, now));
    for (const element of document.querySelectorAll('[data-since]')) setText(element, duration(now - new Date(element.dataset.since)));
  }, 1000);
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

export function bytes(count) {
  if (count === null || count === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** A status word in a coloured pill; the word itself carries the meaning, the colour only helps. */
export function badge(status, kind = 'status') {
  return h('span', { class: `badge ${kind}-${String(status).replace('_', '-')}`, dataset: { status } }, String(status).replace('_', ' '));
}

/** "exit 3", "signal KILL", or "—". */
export function exitText(job) {
  if (job.signal) return `signal ${job.signal}`;
  if (job.exitCode !== null && job.exitCode !== undefined) return `exit ${job.exitCode}`;
  return '—';
}

/** "3 succeeded · 1 running" from a run summary's jobCounts. */
export function jobCountsText(counts) {
  const entries = Object.entries(counts ?? {}).filter(([, count]) => count > 0);
  return entries.length ? entries.map(([status, count]) => `${count} ${status.replace('_', ' ')}`).join(' · ') : '—';
}

export const runIsFinished = status => ['succeeded', 'failed', 'cancelled'].includes(status);
export const jobIsFinished = status => ['succeeded', 'failed', 'timed_out', 'cancelled', 'skipped'].includes(status);
