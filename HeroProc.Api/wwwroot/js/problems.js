// Shows a problem document (RFC 9457) from the server next to the form fields it names.
import { h, replaceChildren } from './dom.js';

/**
 * `fieldFor(key)` maps a key of the problem's `errors` map ("name", "actions[0]", "jobs[1].script") to a
 * form control, or null; each control's messages go into the element named by its aria-describedby,
 * and whatever names no control (or a plain `detail`) goes into `general`.
 */
export function showProblem(problem, fieldFor, general) {
  const unplaced = [];
  const byControl = new Map();
  for (const [key, messages] of Object.entries(problem.errors ?? {})) {
    const control = fieldFor(key);
    if (!control) {
      unplaced.push(...messages.map(message => `${key}: ${message}`));
      continue;
    }
    if (!byControl.has(control)) byControl.set(control, []);
    // A message about the control as a whole needs no prefix; one about a part of it (actions[2], jobs[0].script) names the part.
    byControl.get(control).push(...messages.map(message => (control.getAttribute('name') === key ? message : `${key}: ${message}`)));
  }
  for (const [control, messages] of byControl) {
    control.setAttribute('aria-invalid', 'true');
    replaceChildren(document.getElementById(control.getAttribute('aria-describedby')), messages.map(message => h('span', {}, message)));
  }
  if (!problem.errors || Object.keys(problem.errors).length === 0) unplaced.push(problem.detail || problem.title || 'The server refused the request.');
  general.hidden = unplaced.length === 0;
  replaceChildren(general, unplaced.length ? [h('strong', {}, problem.title ?? 'Refused'), h('ul', {}, unplaced.map(text => h('li', {}, text)))] : []);
  (byControl.keys().next().value ?? general).focus?.();
}

/** Removes the messages of an earlier attempt. */
export function clearProblem(form, general) {
  for (const control of form.querySelectorAll('[aria-invalid="true"]')) {
    control.removeAttribute('aria-invalid');
    replaceChildren(document.getElementById(control.getAttribute('aria-describedby')));
  }
  general.hidden = true;
  replaceChildren(general);
}

/** The first name in an errors key: "jobs[0].script" -> "jobs", "$.maxParallel" -> "maxParallel". */
export const topField = key => key.replace(/^\$\.?/, '').split(/[.[]/)[0];
