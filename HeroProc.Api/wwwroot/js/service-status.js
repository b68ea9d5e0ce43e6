// How a service's observed status reads: shared by the services list and a service's page.
import { h } from './dom.js';
import { bytes, duration } from './format.js';

export const uptimeText = status => (status.uptimeSecs === null || status.uptimeSecs === undefined ? '—' : duration(status.uptimeSecs * 1000));
export const memoryText = status => bytes(status.memoryBytes);
export const cpuText = status => (status.cpuPercent === null || status.cpuPercent === undefined ? '—' : `${status.cpuPercent.toFixed(1)} %`);
export const pidText = status => (status.pid ?? h('span', { class: 'muted' }, '—'));
