import { KIND_GROUPS, type KindGroupId } from './kinds';
import type { ArtifactKind } from './types';

/**
 * The artifact list's state, as the query string holds it:
 * `type` (kind group), `kind`, `q` (key contains), `label` (repeated, `k=v`
 * or `k`), `since`/`until` (RFC 3339), `tag` (default `latest`), `all=1`
 * (every version, no tag), `owner`, `producer`, `after` (cursor).
 */
export interface ListState {
  type: KindGroupId;
  kind: ArtifactKind | '';
  q: string;
  labels: string[];
  since: string;
  until: string;
  tag: string;
  allVersions: boolean;
  owner: string;
  producer: string;
  after: string;
}

export const DEFAULT_TAG = 'latest';

export function parseListState(q: URLSearchParams): ListState {
  const type = (KIND_GROUPS.find((g) => g.id === q.get('type'))?.id ?? 'all') as KindGroupId;
  const group = KIND_GROUPS.find((g) => g.id === type)!;
  const kind = q.get('kind') ?? '';
  const allVersions = q.get('all') === '1';
  return {
    type,
    kind: (group.kinds as readonly string[]).includes(kind) || (type === 'all' && kind) ? (kind as ArtifactKind) : '',
    q: q.get('q') ?? '',
    labels: q.getAll('label').flatMap(splitLabels),
    since: q.get('since') ?? '',
    until: q.get('until') ?? '',
    tag: allVersions ? '' : (q.get('tag') ?? DEFAULT_TAG),
    allVersions,
    owner: q.get('owner') ?? '',
    producer: q.get('producer') ?? '',
    after: q.get('after') ?? '',
  };
}

/** The query-string form of a list state (defaults left out). */
export function listQuery(s: Partial<ListState>): Record<string, string | string[] | undefined> {
  return {
    type: s.type && s.type !== 'all' ? s.type : undefined,
    kind: s.kind || undefined,
    q: s.q || undefined,
    label: s.labels?.length ? s.labels : undefined,
    since: s.since || undefined,
    until: s.until || undefined,
    tag: !s.allVersions && s.tag && s.tag !== DEFAULT_TAG ? s.tag : undefined,
    all: s.allVersions ? '1' : undefined,
    owner: s.owner || undefined,
    producer: s.producer || undefined,
    after: s.after || undefined,
  };
}

/** Splits what a person typed ("env=prod, team  pii") into label conditions. */
export function splitLabels(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean);
}

/** Whether a label condition is well formed: `k` or `k=v`, with a non-empty key. */
export function validLabel(cond: string): boolean {
  const i = cond.indexOf('=');
  return i !== 0 && cond.length > 0;
}

/** The kinds one list query per kind is needed for; [undefined] for "no kind filter". */
export function kindsToQuery(s: ListState): (ArtifactKind | undefined)[] {
  if (s.kind) return [s.kind];
  const group = KIND_GROUPS.find((g) => g.id === s.type)!;
  return group.kinds.length ? [...group.kinds] : [undefined];
}

/** The server's ArtifactFilter for the list state (without kind). */
export function toFilter(s: ListState): Record<string, unknown> {
  const f: Record<string, unknown> = {};
  if (s.q) f.keyContains = s.q;
  if (s.labels.length) f.labels = s.labels;
  if (s.since) f.since = s.since;
  if (s.until) f.until = s.until;
  if (s.tag) f.tag = s.tag;
  if (s.owner) f.owner = s.owner;
  if (s.producer) f.producer = s.producer;
  return f;
}

/** `<input type="datetime-local">` value (local time) ⇄ RFC 3339 (UTC). */
export function localInputToIso(v: string): string {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

export function isoToLocalInput(iso: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
