// A run's dependency graph as a layered drawing (SVG): each job sits one layer right of its deepest dependency.
import { h, svg } from './dom.js';

const nodeWidth = 168;
const nodeHeight = 44;
const gapX = 56;
const gapY = 14;
const margin = 8;
// Past this many jobs a drawing is unreadable and slow; the jobs table still lists them all.
export const maxDrawnJobs = 300;

/** Returns { element, update(job), select(name) }; `onSelect(name)` is called when a node is clicked or activated. */
export function dependencyGraph(jobs, onSelect) {
  const layers = layerJobs(jobs);
  const position = new Map();
  layers.forEach((layer, column) => layer.forEach((job, row) => position.set(job.name, {
    x: margin + column * (nodeWidth + gapX),
    y: margin + row * (nodeHeight + gapY),
  })));
  const width = margin * 2 + layers.length * nodeWidth + (layers.length - 1) * gapX;
  const height = margin * 2 + Math.max(...layers.map(layer => layer.length)) * (nodeHeight + gapY) - gapY;

  const edges = jobs.flatMap(job => job.dependsOn.filter(name => position.has(name)).map(name => edge(position.get(name), position.get(job.name))));
  const nodes = new Map(jobs.map(job => [job.name, node(job, position.get(job.name), onSelect)]));
  const element = svg('svg', {
    class: 'dag', width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'Dependency graph',
  },
  svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 8 8', refX: 8, refY: 4, markerWidth: 8, markerHeight: 8, orient: 'auto' },
    svg('path', { d: 'M0,0 L8,4 L0,8 z', class: 'arrow' }))),
  svg('g', { class: 'edges' }, edges), svg('g', { class: 'nodes' }, [...nodes.values()]));

  return {
    element,
    update(job) {
      const current = nodes.get(job.name);
      if (!current) return;
      const fresh = node(job, position.get(job.name), onSelect);
      fresh.classList.toggle('selected', current.classList.contains('selected'));
      current.replaceWith(fresh);
      nodes.set(job.name, fresh);
    },
    select(name) {
      for (const [jobName, element] of nodes) element.classList.toggle('selected', jobName === name);
    },
  };
}

/** Layer = length of the longest dependency chain below the job; inside a layer, jobs follow their dependencies' order. */
function layerJobs(jobs) {
  const byName = new Map(jobs.map(job => [job.name, job]));
  const depth = new Map();
  const depthOf = (job, visiting = new Set()) => {
    if (depth.has(job.name)) return depth.get(job.name);
    visiting.add(job.name);
    const parents = job.dependsOn.map(name => byName.get(name)).filter(parent => parent && !visiting.has(parent.name));
    const value = parents.length ? 1 + Math.max(...parents.map(parent => depthOf(parent, visiting))) : 0;
    depth.set(job.name, value);
    return value;
  };
  const layers = [];
  for (const job of jobs) (layers[depthOf(job)] ??= []).push(job);
  // Ordering each layer by the mean row of its dependencies keeps most edges short and uncrossed.
  const row = new Map();
  return layers.map((layer, index) => {
    const meanParentRow = job => {
      const rows = job.dependsOn.filter(name => row.has(name)).map(name => row.get(name));
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : 0;
    };
    const ordered = index === 0 ? [...layer].sort((a, b) => a.name.localeCompare(b.name))
      : [...layer].sort((a, b) => meanParentRow(a) - meanParentRow(b) || a.name.localeCompare(b.name));
    ordered.forEach((job, position) => row.set(job.name, position));
    return ordered;
  });
}

function edge(from, to) {
  const startX = from.x + nodeWidth;
  const startY = from.y + nodeHeight / 2;
  const endX = to.x;
  const endY = to.y + nodeHeight / 2;
  const middle = (startX + endX) / 2;
  return svg('path', { class: 'edge', d: `M${startX},${startY} C${middle},${startY} ${middle},${endY} ${endX},${endY}`, 'marker-end': 'url(#arrow)' });
}

function node(job, { x, y }, onSelect) {
  const label = job.name.length > 20 ? `${job.name.slice(0, 19)}…` : job.name;
  const activate = () => onSelect(job.name);
  return svg('g', {
    class: `node status-${job.status.replace('_', '-')}`, tabindex: 0, role: 'button',
    'aria-label': `${job.name}: ${job.status.replace('_', ' ')}`, dataset: { job: job.name },
    onclick: activate,
    onkeydown: event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        activate();
      }
    },
  },
  svg('title', {}, `${job.name} — ${job.status.replace('_', ' ')}`),
  svg('rect', { x, y, width: nodeWidth, height: nodeHeight, rx: 6 }),
  svg('text', { x: x + 10, y: y + 18, class: 'node-name' }, label),
  svg('text', { x: x + 10, y: y + 35, class: 'node-status' }, job.status.replace('_', ' ')));
}

/** Shown instead of the drawing for very large runs. */
export const tooLargeNote = count => h('p', { class: 'muted' }, `The graph is not drawn for runs of more than ${maxDrawnJobs} jobs (this one has ${count}).`);
