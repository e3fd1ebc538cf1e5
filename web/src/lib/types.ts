// The shapes of the server's GraphQL answers that the UI reads.
export type ArtifactKind =
  | 'ARTIFACT'
  | 'DIR'
  | 'LINK'
  | 'PLOT'
  | 'TABLE'
  | 'DATASET'
  | 'MODEL'
  | 'DOCUMENT'
  | 'FEATURE_SET'
  | 'FEATURE_VECTOR';

export type RunState = 'RUNNING' | 'COMPLETED' | 'FAILED' | 'ABORTED';
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Label {
  key: string;
  value: string | null;
}

export interface Project {
  name: string;
  description: string | null;
  artifactPath?: string | null;
  labels: Label[];
  createdAt?: string;
}

export interface Producer {
  kind: string;
  name: string;
  uri: string | null;
  owner: string | null;
}

/** The fields every list row has. */
export interface VersionSummary {
  uri: string;
  project: string;
  key: string;
  kind: ArtifactKind;
  uid: string;
  iteration: number;
  tree: string | null;
  tags: string[];
  labels: Label[];
  createdAt: string;
  updatedAt: string;
  targetPath: string;
  format: string | null;
  size: number | null;
  producer: Producer | null;
  owner: { name: string } | null;
  dataset: { header: string[] | null; length: number | null } | null;
  model: { framework: string | null; algorithm: string | null; metrics: Json } | null;
  downloadUrl: string | null;
}

/** Just enough of a version to link to it. */
export interface VersionRef {
  uri: string;
  project: string;
  key: string;
  kind: ArtifactKind;
  uid: string;
  iteration: number;
  tags: string[];
  format?: string | null;
  downloadUrl?: string | null;
  updatedAt?: string;
}

export interface RunRef {
  project: string;
  uid: string;
  name: string;
  state: RunState;
  startedAt?: string;
  finishedAt?: string | null;
}

export interface ArtifactDetail extends VersionSummary {
  description: string | null;
  hash: string | null;
  externalSources: string[];
  extra: Json;
  yaml: string;
  run: (RunRef & { pipeline: { id: string } | null }) | null;
  sources: VersionRef[];
  consumers: RunRef[];
  links: { relation: string; target: VersionRef }[];
  linkedFrom: { relation: string; target: VersionRef }[];
  dataset: {
    schema: Json;
    header: string[] | null;
    length: number | null;
    preview: Json[][] | null;
    stats: Json;
  } | null;
  model: {
    modelFile: string | null;
    framework: string | null;
    algorithm: string | null;
    metrics: Json;
    parameters: Json;
    featureVector: string | null;
  } | null;
}

export interface RunDetail extends RunRef {
  startedAt: string;
  user: { name: string } | null;
  artifactPath: string;
  labels: Label[];
  pipeline: { id: string; runs: RunRef[] } | null;
  inputs: VersionSummary[];
  outputs: VersionSummary[];
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  totalCount: number;
}

export interface LineageNode {
  id: string;
  type: 'artifact' | 'run';
  depth: number;
  artifact: VersionRef | null;
  run: (RunRef & { pipeline: { id: string } | null }) | null;
}

export interface LineageEdge {
  from: string;
  to: string;
  relation: 'CONSUMED' | 'PRODUCED' | 'DERIVED_FROM' | string;
}

export interface LineageGraph {
  nodes: LineageNode[];
  edges: LineageEdge[];
  truncated: boolean;
}

export interface ImpactReport {
  artifacts: VersionRef[];
  runs: RunRef[];
  pipelines: { project: string; id: string }[];
  truncated: boolean;
}
