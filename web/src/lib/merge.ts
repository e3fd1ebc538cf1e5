import type { Connection } from './types';

/**
 * Paging over several artifact lists at once. The server filters on one kind
 * at a time, so a kind group ("Datasets" is DATASET and TABLE) is one list per
 * kind, merged newest first. The page cursor keeps each list's own cursor:
 * where the page stopped in it, or `true` once it is used up.
 */
export type MultiCursor = (string | null | true)[];

export function encodeCursor(c: MultiCursor): string {
  return btoa(JSON.stringify(c)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

export function decodeCursor(s: string, lists: number): MultiCursor {
  if (!s) return Array(lists).fill(null);
  try {
    const json = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    const c = JSON.parse(json) as unknown;
    if (Array.isArray(c) && c.length === lists && c.every((x) => x === null || x === true || typeof x === 'string')) {
      return c as MultiCursor;
    }
  } catch {
    // fall through: a bad cursor starts over
  }
  return Array(lists).fill(null);
}

/** Sortable form of an RFC 3339 time: [ms since epoch, nanoseconds within the ms]. */
export function timeKey(iso: string): [number, number] {
  const ms = Date.parse(iso);
  const frac = /\.(\d+)/.exec(iso)?.[1] ?? '';
  const sub = Number((frac + '000000000').slice(3, 9));
  return [Number.isNaN(ms) ? 0 : ms, sub];
}

function newer(a: string, b: string): boolean {
  const [x, y] = [timeKey(a), timeKey(b)];
  return x[0] !== y[0] ? x[0] > y[0] : x[1] > y[1];
}

/**
 * Merges one page from each list (fetched after the lists' cursors; a used-up
 * list is fetched with `first: 0`, for its count) into a page of at most
 * `first` items, newest first, keeping each list's order. Returns the items,
 * the next cursor, whether more items follow and the count across all lists.
 */
export function mergePages<T extends { updatedAt: string }>(
  pages: Connection<T>[],
  cursor: MultiCursor,
  first: number,
): { items: { node: T; list: number }[]; next: MultiCursor; hasNextPage: boolean; totalCount: number } {
  const heads = pages.map(() => 0);
  const next: MultiCursor = [...cursor];
  const items: { node: T; list: number }[] = [];
  while (items.length < first) {
    let best = -1;
    pages.forEach((p, i) => {
      if (cursor[i] === true || heads[i] >= p.edges.length) return;
      if (best < 0 || newer(p.edges[heads[i]].node.updatedAt, pages[best].edges[heads[best]].node.updatedAt)) best = i;
    });
    if (best < 0) break;
    const edge = pages[best].edges[heads[best]++];
    items.push({ node: edge.node, list: best });
    next[best] = edge.cursor;
  }
  let hasNextPage = false;
  pages.forEach((p, i) => {
    if (cursor[i] === true) return;
    const rest = heads[i] < p.edges.length;
    if (!rest && !p.pageInfo.hasNextPage) next[i] = true;
    else hasNextPage = true;
  });
  const totalCount = pages.reduce((n, p) => n + p.totalCount, 0);
  return { items, next, hasNextPage, totalCount };
}
