import { KIND_LABEL, kindFamily } from './kinds';
import type { LineageEdge, LineageGraph, LineageNode } from './types';

/**
 * A lineage edge drawn the way data flows: an input into the run that
 * CONSUMED it, a run into what it PRODUCED, a source into what was
 * DERIVED_FROM it.
 */
export function flowEdge(e: LineageEdge): { source: string; target: string; relation: string } {
  if (e.relation === 'PRODUCED') return { source: e.from, target: e.to, relation: 'produced' };
  if (e.relation === 'CONSUMED') return { source: e.to, target: e.from, relation: 'read by' };
  if (e.relation === 'DERIVED_FROM') return { source: e.to, target: e.from, relation: 'derived' };
  return { source: e.from, target: e.to, relation: e.relation.toLowerCase() };
}

export function nodeLabel(n: LineageNode): string {
  if (n.artifact) return n.artifact.key;
  if (n.run) return n.run.name;
  return n.id;
}

export function nodeSubtitle(n: LineageNode): string {
  if (n.artifact) {
    const tags = n.artifact.tags.filter((t) => t !== 'latest');
    return `${KIND_LABEL[n.artifact.kind]}${tags.length ? ` · ${tags.join(', ')}` : ''}${n.artifact.tags.includes('latest') ? '' : ` · ${n.artifact.uid.slice(0, 6)}`}`;
  }
  if (n.run) return `run · ${n.run.uid}`;
  return n.type;
}

export function nodeFamily(n: LineageNode) {
  return n.artifact ? kindFamily(n.artifact.kind) : 'run';
}

/** Counts by type of what the graph holds, the start node left out. */
export function graphCounts(g: LineageGraph, startId: string) {
  const rest = g.nodes.filter((n) => n.id !== startId);
  return {
    artifacts: rest.filter((n) => n.type === 'artifact').length,
    runs: rest.filter((n) => n.type === 'run').length,
  };
}

/** Nodes by their distance from the start, nearest first, for the text view. */
export function byDepth(g: LineageGraph): [number, LineageNode[]][] {
  const m = new Map<number, LineageNode[]>();
  for (const n of g.nodes) m.set(n.depth, [...(m.get(n.depth) ?? []), n]);
  return [...m.entries()].sort(([a], [b]) => a - b);
}
