// Submit: start a run from stored actions, or paste a whole run as JSON. The server validates; its
// problem details are shown next to the fields they name.
import { api, ApiError } from '../api.js';
import { h } from '../dom.js';
import { clearProblem, showProblem, topField } from '../problems.js';

const example = {
  name: 'example',
  jobs: [
    { name: 'build', script: 'echo building; sleep 1' },
    { name: 'test', script: 'echo testing >&2', dependsOn: ['build'] },
  ],
  tags: ['example'],
};

export async function renderSubmit({ main, signal }) {
  const page = await api('/api/actions?limit=500');
  if (signal.aborted) return;
  // Runs cannot name a service's actions (<service>.<action>), only standalone ones.
  const standalone = page.items.filter(action => !action.service);
  main.append(h('h1', {}, 'Submit a run'), h('div', { class: 'pair' }, actionsForm(standalone), jsonForm()));
}

/** A labelled control with its own message area, linked by aria-describedby. */
function field(id, label, control, hint) {
  control.id = id;
  control.setAttribute('aria-describedby', `${id}-error`);
  return h('div', { class: 'field' },
    h('label', { for: id }, label), hint ? h('span', { class: 'hint' }, hint) : null, control,
    h('p', { class: 'field-error', id: `${id}-error`, role: 'alert' }));
}

function actionsForm(actions) {
  const general = h('div', { class: 'alert', role: 'alert', tabindex: -1, hidden: true });
  const name = h('input', { name: 'name', autocomplete: 'off' });
  const tags = h('input', { name: 'tags', autocomplete: 'off' });
  const env = h('textarea', { name: 'env', rows: 3, spellcheck: 'false' });
  const maxParallel = h('input', { name: 'maxParallel', type: 'number', inputmode: 'numeric' });
  // The picker is a fieldset of checkboxes; its message area is linked like any other control's.
  const picker = h('fieldset', { class: 'picker', id: 'run-actions', 'aria-describedby': 'run-actions-error' },
    h('legend', {}, 'Actions'),
    actions.length === 0
      ? h('p', { class: 'muted' }, 'No standalone actions stored yet (PUT /api/actions/{name}); paste a run as JSON instead.')
      : actions.map(action => h('label', { class: 'choice' },
        h('input', { type: 'checkbox', name: 'actions', value: action.name }), ' ', action.name,
        action.description ? h('span', { class: 'muted' }, ` — ${action.description}`) : null)),
    h('p', { class: 'field-error', id: 'run-actions-error', role: 'alert' }));
  const controls = { name, actions: picker, jobs: picker, tags, env, maxParallel };

  const form = h('form', {
    class: 'submit-form', novalidate: true, 'aria-labelledby': 'from-actions-title',
    onsubmit: async event => {
      event.preventDefault();
      clearProblem(form, general);
      const body = {
        name: name.value || undefined,
        actions: [...form.querySelectorAll('input[name="actions"]:checked')].map(box => box.value),
        tags: tags.value ? tags.value.split(',').map(tag => tag.trim()).filter(Boolean) : undefined,
        env: parseEnv(env.value),
        maxParallel: maxParallel.value === '' ? undefined : Number(maxParallel.value),
      };
      if (body.env === null) {
        showProblem({ errors: { env: ['write one KEY=value per line'] } }, key => controls[topField(key)], general);
        return;
      }
      await submit(body, problem => showProblem(problem, key => controls[topField(key)] ?? null, general));
    },
  },
  h('h2', { id: 'from-actions-title' }, 'From stored actions'),
  general,
  picker,
  field('run-name', 'Run name', name, 'optional, up to 128 characters'),
  field('run-tags', 'Tags', tags, 'comma-separated'),
  field('run-env', 'Environment', env, 'one KEY=value per line; overrides the actions’ env'),
  field('run-max-parallel', 'Max parallel jobs', maxParallel, 'optional, 1–1000'),
  h('button', { type: 'submit', class: 'primary' }, 'Submit run'));
  return form;
}

function jsonForm() {
  const general = h('div', { class: 'alert', role: 'alert', tabindex: -1, hidden: true });
  const text = h('textarea', { name: 'run', rows: 14, spellcheck: 'false', class: 'code' });
  text.value = JSON.stringify(example, null, 2);
  const form = h('form', {
    class: 'submit-form', novalidate: true, 'aria-labelledby': 'from-json-title',
    onsubmit: async event => {
      event.preventDefault();
      clearProblem(form, general);
      try {
        JSON.parse(text.value);
      } catch (error) {
        showProblem({ errors: { run: [`not valid JSON: ${error.message}`] } }, () => text, general);
        return;
      }
      // Sent as typed, not re-serialized, so the server sees (and names) exactly what was pasted.
      await submit(text.value, problem => showProblem(problem, () => text, general));
    },
  },
  h('h2', { id: 'from-json-title' }, 'Paste a run as JSON'),
  h('p', { class: 'muted' }, 'The body of POST /api/runs: stored actions, inline jobs, env, maxParallel, tags.'),
  general,
  field('run-json', 'Run', text),
  h('button', { type: 'submit', class: 'primary' }, 'Submit run'));
  return form;
}

async function submit(body, onProblem) {
  try {
    const run = await api('/api/runs', { method: 'POST', body });
    location.hash = `#/runs/${run.id}`;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    onProblem(error.problem);
  }
}

/** "A=1\nB=2" -> { A: "1", B: "2" }; undefined when empty; null when a line has no "=". */
function parseEnv(text) {
  const lines = text.split('\n').map(line => line.trim()).filter(Boolean);
  if (lines.length === 0) return undefined;
  if (lines.some(line => !line.includes('='))) return null;
  return Object.fromEntries(lines.map(line => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}
