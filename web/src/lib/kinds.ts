import { href } from './router';
import type { ArtifactKind, VersionRef } from './types';

/** The artifact types of the product's project page, and the kinds in each. */
export const KIND_GROUPS = [
  { id: 'all', label: 'All artifacts', kinds: [] as ArtifactKind[] },
  { id: 'models', label: 'Models', kinds: ['MODEL'] as ArtifactKind[] },
  { id: 'datasets', label: 'Datasets', kinds: ['DATASET', 'TABLE'] as ArtifactKind[] },
  { id: 'files', label: 'Files', kinds: ['ARTIFACT', 'DIR', 'LINK', 'PLOT', 'DOCUMENT'] as ArtifactKind[] },
  { id: 'features', label: 'Feature store', kinds: ['FEATURE_SET', 'FEATURE_VECTOR'] as ArtifactKind[] },
] as const;

export type KindGroupId = (typeof KIND_GROUPS)[number]['id'];

export const ALL_KINDS: ArtifactKind[] = [
  'MODEL', 'DATASET', 'TABLE', 'ARTIFACT', 'DIR', 'LINK', 'PLOT', 'DOCUMENT', 'FEATURE_SET', 'FEATURE_VECTOR',
];

export const KIND_LABEL: Record<ArtifactKind, string> = {
  ARTIFACT: 'File',
  DIR: 'Directory',
  LINK: 'Link',
  PLOT: 'Plot',
  TABLE: 'Table',
  DATASET: 'Dataset',
  MODEL: 'Model',
  DOCUMENT: 'Document',
  FEATURE_SET: 'Feature set',
  FEATURE_VECTOR: 'Feature vector',
};

/** The `store://` prefix of a kind, as the server writes URIs. */
export function storePrefix(kind: ArtifactKind): string {
  switch (kind) {
    case 'MODEL':
      return 'models';
    case 'DATASET':
      return 'datasets';
    case 'DOCUMENT':
      return 'documents';
    case 'FEATURE_SET':
      return 'feature-sets';
    case 'FEATURE_VECTOR':
      return 'feature-vectors';
    default:
      return 'artifacts';
  }
}

export const STORE_PREFIXES = ['models', 'datasets', 'documents', 'feature-sets', 'feature-vectors', 'artifacts'];

/** The colour family of a kind, shared by badges and lineage nodes. */
export function kindFamily(kind: ArtifactKind | 'RUN'): 'model' | 'data' | 'plot' | 'file' | 'feature' | 'run' {
  switch (kind) {
    case 'MODEL':
      return 'model';
    case 'DATASET':
    case 'TABLE':
      return 'data';
    case 'PLOT':
      return 'plot';
    case 'FEATURE_SET':
    case 'FEATURE_VECTOR':
      return 'feature';
    case 'RUN':
      return 'run';
    default:
      return 'file';
  }
}

export const FAMILY_COLOURS: Record<ReturnType<typeof kindFamily>, { bg: string; fg: string; line: string }> = {
  model: { bg: '#efe7ff', fg: '#4b2a99', line: '#7c4ddb' },
  data: { bg: '#e2efff', fg: '#0b4a8f', line: '#2f7ad6' },
  plot: { bg: '#fff0de', fg: '#8a4200', line: '#e08a1e' },
  file: { bg: '#eceff3', fg: '#39424e', line: '#7b8794' },
  feature: { bg: '#e1f6ea', fg: '#136338', line: '#2e9e5b' },
  run: { bg: '#1f2a37', fg: '#ffffff', line: '#1f2a37' },
};

/** The in-app path of an artifact version's page. */
export function artifactPath(v: Pick<VersionRef, 'project' | 'kind' | 'key' | 'uid' | 'iteration'>): string {
  return href(`/projects/${encodeURIComponent(v.project)}/${storePrefix(v.kind)}/${encodeURIComponent(v.key)}`, {
    uid: v.uid,
    iter: v.iteration ? v.iteration : undefined,
  });
}

/** The `store://` URI an artifact page's path and query name. */
export function storeUri(prefix: string, project: string, key: string, q: URLSearchParams): string {
  let uri = `store://${prefix}/${project}/${key}`;
  const iter = q.get('iter');
  const tag = q.get('tag');
  const uid = q.get('uid');
  if (iter) uri += `#${iter}`;
  if (tag) uri += `:${tag}`;
  if (uid) uri += `^${uid}`;
  return uri;
}

/** Parses a `store://` URI into the parts the UI links with; null when it is not one. */
export function parseStoreUri(uri: string): { prefix: string; project: string; key: string; query: Record<string, string> } | null {
  const m = /^store:\/\/([^/]+)\/([^/]+)\/([^#:@^]+)(?:#(\d+))?(?::([^@^]+))?(?:@([^^]+))?(?:\^(.+))?$/.exec(uri);
  if (!m) return null;
  const [, prefix, project, key, iter, tag, , uid] = m;
  const query: Record<string, string> = {};
  if (uid) query.uid = uid;
  else if (tag) query.tag = tag;
  if (iter && iter !== '0') query.iter = iter;
  return { prefix, project, key, query };
}

/** The in-app page of a `store://` URI (or of a `run:<project>/<uid>` id). */
export function pathForUri(uri: string): string | null {
  const run = /^run:([^/]+)\/(.+)$/.exec(uri);
  if (run) return runPath(run[1], run[2]);
  const p = parseStoreUri(uri);
  if (!p) return null;
  return href(`/projects/${encodeURIComponent(p.project)}/${p.prefix}/${encodeURIComponent(p.key)}`, p.query);
}

export function runPath(project: string, uid: string): string {
  return `/projects/${encodeURIComponent(project)}/runs/${encodeURIComponent(uid)}`;
}

export function runNodeId(project: string, uid: string): string {
  return `run:${project}/${uid}`;
}

export function lineagePath(project: string, node: string, extra: Record<string, string | number> = {}): string {
  return href(`/projects/${encodeURIComponent(project)}/lineage`, { node, ...extra });
}
