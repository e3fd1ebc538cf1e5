import { describe, expect, it } from 'vitest';
import { byDepth, flowEdge } from './lineage';

describe('flowEdge', () => {
  it('draws edges the way data flows', () => {
    expect(flowEdge({ from: 'run:p/r', to: 'v', relation: 'CONSUMED' })).toMatchObject({ source: 'v', target: 'run:p/r' });
    expect(flowEdge({ from: 'run:p/r', to: 'v', relation: 'PRODUCED' })).toMatchObject({ source: 'run:p/r', target: 'v' });
    expect(flowEdge({ from: 'derived', to: 'src', relation: 'DERIVED_FROM' })).toMatchObject({ source: 'src', target: 'derived' });
  });
});

describe('byDepth', () => {
  it('groups nodes nearest first', () => {
    const n = (id: string, depth: number) => ({ id, depth, type: 'run' as const, artifact: null, run: null });
    const groups = byDepth({ nodes: [n('b', 2), n('a', 0), n('c', 1), n('d', 1)], edges: [], truncated: false });
    expect(groups.map(([d, ns]) => [d, ns.map((x) => x.id)])).toEqual([
      [0, ['a']],
      [1, ['c', 'd']],
      [2, ['b']],
    ]);
  });
});
