// Builds DOM nodes from data without innerHTML, so job output and names can never inject markup.

/**
 * h('a', { href: '#/runs', class: 'link', onclick: fn }, 'text', child, [more])
 * Attributes starting with "on" become listeners; null, undefined and false attributes and children are skipped.
 */
export function h(tag, attributes = {}, ...children) {
  const element = tag.includes(':')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.split(':')[1])
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

/** SVG elements: svg('rect', { x: 1 }). */
export const svg = (tag, attributes, ...children) => h(`svg:${tag}`, attributes, ...children);

/** Appends children (nodes, strings, nested arrays), skipping null, undefined and false. */
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all children of a node. */
export function replaceChildren(parent, ...children) {
  parent.replaceChildren();
  append(parent, ...children);
  return parent;
}

/** One term and its value in a <dl>, grouped in a <div> so compact lists can lay pairs out in columns. */
export const fact = (term, ...value) => h('div', {}, h('dt', {}, term), h('dd', {}, ...value));

/** A short-lived message for the outcome of a button press (status region, so screen readers hear it). */
export function toast(message, kind = 'info') {
  const host = document.getElementById('toasts');
  const note = h('p', { class: `toast toast-${kind}` }, message);
  host.append(note);
  setTimeout(() => note.remove(), kind === 'error' ? 10000 : 4000);
}
