import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, mergePages, timeKey, type MultiCursor } from './merge';
import type { Connection } from './types';

type Item = { id: string; updatedAt: string };
const page = (items: Item[], hasNextPage = false, totalCount = items.length): Connection<Item> => ({
  edges: items.map((node) => ({ cursor: `c-${node.id}`, node })),
  pageInfo: { hasNextPage, endCursor: items.length ? `c-${items[items.length - 1].id}` : null },
  totalCount,
});
const at = (id: string, t: string): Item => ({ id, updatedAt: t });

describe('cursor encoding', () => {
  it('round-trips a multi-cursor', () => {
    const c: MultiCursor = ['abc', null, true];
    expect(decodeCursor(encodeCursor(c), 3)).toEqual(c);
  });
  it('starts over on a bad or mismatched cursor', () => {
    expect(decodeCursor('not base64 json', 2)).toEqual([null, null]);
    expect(decodeCursor(encodeCursor(['a']), 2)).toEqual([null, null]);
    expect(decodeCursor('', 2)).toEqual([null, null]);
  });
});

describe('timeKey', () => {
  it('orders by sub-millisecond fractions too', () => {
    const a = timeKey('2025-11-02T08:15:00.123456Z');
    const b = timeKey('2025-11-02T08:15:00.1234567Z');
    expect(a[0]).toBe(b[0]);
    expect(b[1]).toBeGreaterThan(a[1]);
  });
});

describe('mergePages', () => {
  it('merges lists newest first and keeps a cursor per list', () => {
    const datasets = page([at('d1', '2025-01-05T00:00:00Z'), at('d2', '2025-01-02T00:00:00Z')], true, 5);
    const tables = page([at('t1', '2025-01-04T00:00:00Z'), at('t2', '2025-01-01T00:00:00Z')], false, 2);
    const r = mergePages([datasets, tables], [null, null], 3);
    expect(r.items.map((x) => x.node.id)).toEqual(['d1', 't1', 'd2']);
    expect(r.next).toEqual(['c-d2', 'c-t1']);
    expect(r.hasNextPage).toBe(true);
    expect(r.totalCount).toBe(7);
  });

  it('marks a list used up, and skips it on later pages', () => {
    const a = page([at('a1', '2025-01-05T00:00:00Z')], false);
    const b = page([at('b1', '2025-01-04T00:00:00Z'), at('b2', '2025-01-03T00:00:00Z')], true, 4);
    const r = mergePages([a, b], [null, null], 2);
    expect(r.next).toEqual([true, 'c-b1']);
    expect(r.hasNextPage).toBe(true);
    // the next page asks the used-up list for no items (first: 0), only its count
    const r2 = mergePages([page([], false, 1), page([at('b2', '2025-01-03T00:00:00Z')], false, 4)], r.next, 2);
    expect(r2.items.map((x) => x.node.id)).toEqual(['b2']);
    expect(r2.hasNextPage).toBe(false);
    expect(r2.totalCount).toBe(5);
  });

  it('says there is no next page when every list is exhausted', () => {
    const r = mergePages([page([at('x', '2025-01-01T00:00:00Z')]), page([])], [null, null], 10);
    expect(r.hasNextPage).toBe(false);
    expect(r.next).toEqual([true, true]);
  });
});
