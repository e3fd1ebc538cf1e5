import { request } from './graphql';
import { decodeCursor, encodeCursor, mergePages } from './merge';
import type { ArtifactKind, Connection, VersionSummary } from './types';

export const VERSION_SUMMARY = `
fragment VersionSummary on ArtifactVersion {
  uri project key kind uid iteration tree tags
  labels { key value }
  createdAt updatedAt targetPath format size
  producer { kind name uri owner }
  owner { name }
  dataset { header length }
  model { framework algorithm metrics }
  downloadUrl
}`;

const VERSION_REF = `uri project key kind uid iteration tags format downloadUrl updatedAt`;

export const PROJECTS = `
query Projects {
  projects { name description labels { key value } createdAt }
}`;

/** One project's counts, asked in one request for every project on the page. */
export function projectCountsQuery(names: string[]): { query: string; variables: Record<string, string> } {
  const vars = names.map((_, i) => `$p${i}: String!`).join(', ');
  const fields = names
    .map(
      (_, i) => `
  a${i}: artifacts(project: $p${i}, filter: {tag: "latest"}, first: 0) { totalCount }
  m${i}: artifacts(project: $p${i}, filter: {tag: "latest", kind: MODEL}, first: 0) { totalCount }
  r${i}: runs(project: $p${i}, first: 1) { totalCount edges { node { startedAt } } }`,
    )
    .join('');
  return {
    query: `query ProjectCounts(${vars}) {${fields}\n}`,
    variables: Object.fromEntries(names.map((n, i) => [`p${i}`, n])),
  };
}

export const PROJECT = `
query Project($name: String!) {
  project(name: $name) { name description artifactPath labels { key value } createdAt }
}`;

const CONNECTION = `totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ...VersionSummary } }`;

export interface ArtifactPage {
  items: VersionSummary[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * One page of a project's artifacts over one or more kinds (see merge.ts).
 * `kinds` = [undefined] lists every kind in one server list.
 */
export async function fetchArtifactPage(
  project: string,
  kinds: (ArtifactKind | undefined)[],
  filter: Record<string, unknown>,
  first: number,
  after: string,
  signal?: AbortSignal,
): Promise<ArtifactPage> {
  if (kinds.length === 1) {
    const f = kinds[0] ? { ...filter, kind: kinds[0] } : filter;
    const data = await request<{ artifacts: Connection<VersionSummary> }>(
      `query Artifacts($project: String!, $filter: ArtifactFilter, $first: Int, $after: String) {
        artifacts(project: $project, filter: $filter, first: $first, after: $after) { ${CONNECTION} }
      }${VERSION_SUMMARY}`,
      { project, filter: f, first, after: after || null },
      signal,
    );
    const c = data.artifacts;
    return {
      items: c.edges.map((e) => e.node),
      totalCount: c.totalCount,
      hasNextPage: c.pageInfo.hasNextPage,
      endCursor: c.pageInfo.endCursor,
    };
  }
  const cursor = decodeCursor(after, kinds.length);
  const args = kinds.map((_, i) => `$f${i}: ArtifactFilter, $a${i}: String, $n${i}: Int`).join(', ');
  const fields = kinds
    .map((_, i) => `k${i}: artifacts(project: $project, filter: $f${i}, first: $n${i}, after: $a${i}) { ${CONNECTION} }`)
    .join('\n');
  const variables: Record<string, unknown> = { project };
  kinds.forEach((k, i) => {
    variables[`f${i}`] = { ...filter, kind: k };
    variables[`a${i}`] = typeof cursor[i] === 'string' ? cursor[i] : null;
    variables[`n${i}`] = cursor[i] === true ? 0 : first;
  });
  const data = await request<Record<string, Connection<VersionSummary>>>(
    `query ArtifactsByKinds($project: String!, ${args}) {\n${fields}\n}${VERSION_SUMMARY}`,
    variables,
    signal,
  );
  const merged = mergePages(
    kinds.map((_, i) => data[`k${i}`]),
    cursor,
    first,
  );
  return {
    items: merged.items.map((x) => x.node),
    totalCount: merged.totalCount,
    hasNextPage: merged.hasNextPage,
    endCursor: merged.hasNextPage ? encodeCursor(merged.next) : null,
  };
}

export const ARTIFACT = `
query Artifact($uri: String!) {
  artifact(uri: $uri) {
    ...VersionSummary
    description hash externalSources extra yaml
    run { project uid name state startedAt finishedAt pipeline { id } }
    sources { ${VERSION_REF} }
    consumers { project uid name state startedAt finishedAt }
    links { relation target { ${VERSION_REF} } }
    linkedFrom { relation target { ${VERSION_REF} } }
    dataset { schema header length preview stats }
    model { modelFile framework algorithm metrics parameters featureVector }
  }
}${VERSION_SUMMARY}`;

export const VERSIONS = `
query Versions($project: String!, $filter: ArtifactFilter, $first: Int, $after: String) {
  artifacts(project: $project, filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { uri project key kind uid iteration tree tags updatedAt createdAt size hash producer { kind name uri owner } } }
  }
}`;

export const IMPACT = `
query Impact($uri: String!, $depth: Int) {
  impact(uri: $uri, depth: $depth) {
    artifacts { ${VERSION_REF} }
    runs { project uid name state startedAt }
    pipelines { project id }
    truncated
  }
}`;

export const RUNS = `
query Runs($project: String!, $first: Int, $after: String) {
  runs(project: $project, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node {
      project uid name state startedAt finishedAt user { name } pipeline { id } labels { key value }
      inputs { uri } outputs { uri }
    } }
  }
}`;

export const RUN = `
query Run($project: String!, $uid: String!) {
  run(project: $project, uid: $uid) {
    project uid name state startedAt finishedAt artifactPath
    user { name }
    labels { key value }
    pipeline { id runs { project uid name state startedAt finishedAt } }
    inputs { ...VersionSummary }
    outputs { ...VersionSummary }
  }
}${VERSION_SUMMARY}`;

export const LINEAGE = `
query Lineage($uri: String!, $direction: LineageDirection!, $depth: Int, $limit: Int) {
  lineage(uri: $uri, direction: $direction, depth: $depth, limit: $limit) {
    truncated
    nodes {
      id type depth
      artifact { ${VERSION_REF} }
      run { project uid name state startedAt finishedAt pipeline { id } }
    }
    edges { from to relation }
  }
}`;
