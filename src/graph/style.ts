/** Colours shared by every drawing of the lab graph (DOT, Mermaid, the ui page legend). */
import { GraphVertex, LiveState } from './model';

export const KIND_FILL: Record<GraphVertex['kind'], string> = {
  router: '#e8eef7',
  iface: '#fff7d6',
  bridge: '#ffe9c2',
  pod: '#e3f4e3',
  pods: '#cfeccf',
  service: '#efe3f7',
  igw: '#e8eef7',
  internet: '#f0f0f0',
  lb: '#e8eef7',
  ingress: '#e8eef7',
};

export const STATE_COLOR: Record<LiveState, string> = { running: '#2e7d32', down: '#c62828', unknown: '#555555' };
export const DOWN_FILL = '#fbd5d5';
