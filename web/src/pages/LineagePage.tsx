import { lazy, Suspense } from 'react';
import { KindBadge, Section, StateBadge, Time } from '../components/Bits';
import { Layout } from '../components/Layout';
import { ErrorBox, Loading } from '../components/Status';
import { FAMILY_COLOURS, KIND_LABEL, lineagePath, pathForUri, runPath } from '../lib/kinds';
import { byDepth, nodeFamily, nodeLabel, nodeSubtitle } from '../lib/lineage';
import { IMPACT, LINEAGE } from '../lib/queries';
import { href, Link, useRouter } from '../lib/router';
import { usePageTitle } from '../lib/title';
import type { ImpactReport, LineageGraph as Graph, LineageNode } from '../lib/types';
import { useQuery } from '../lib/useQuery';
import { plural } from '../lib/format';

const LineageGraph = lazy(() => import('./LineageGraph'));

const DIRECTIONS = [
  { id: 'UPSTREAM', label: 'Upstream', hint: 'where it came from' },
  { id: 'BOTH', label: 'Both', hint: 'origins and dependants' },
  { id: 'DOWNSTREAM', label: 'Downstream', hint: 'what depends on it' },
] as const;
const MAX_DEPTH = 10;
export const NODE_LIMIT = 300;

/**
 * The lineage around an artifact version or a run: an interactive graph,
 * direction and depth in the URL, the selected node's details, and the
 * impact of the start node (what depends on it).
 */
export function LineagePage({ project }: { project: string }) {
  const { location, navigate } = useRouter();
  const params = new URLSearchParams(location.search);
  const node = params.get('node') ?? '';
  const direction = DIRECTIONS.find((d) => d.id === params.get('direction'))?.id ?? 'BOTH';
  const depth = Math.min(MAX_DEPTH, Math.max(1, Number(params.get('depth')) || 3));
  const selected = params.get('selected') ?? '';
  const q = useQuery<{ lineage: Graph }>(LINEAGE, { uri: node, direction, depth, limit: NODE_LIMIT }, !node);
  const g = q.data?.lineage;
  const start = g?.nodes.find((n) => n.depth === 0);
  usePageTitle(`Lineage${start ? ` of ${nodeLabel(start)}` : ''} · ${project}`);
  const base = `/projects/${encodeURIComponent(project)}`;
  const set = (next: Record<string, string | number | undefined>, replace = true) =>
    navigate(href(`${base}/lineage`, { node, direction: direction === 'BOTH' ? undefined : direction, depth: depth === 3 ? undefined : depth, selected: selected || undefined, ...next }), { replace });
  const startPage = start ? pageOf(start) : pathForUri(node);
  const crumbs = [
    { label: 'Projects', to: '/' },
    { label: project, to: base },
    ...(start ? [{ label: nodeLabel(start), to: startPage ?? undefined }] : []),
    { label: 'Lineage' },
  ];
  const open = (id: string) => {
    const n = g?.nodes.find((x) => x.id === id);
    const to = n ? pageOf(n) : pathForUri(id);
    if (to) navigate(to);
  };
  const sel = g?.nodes.find((n) => n.id === selected) ?? null;

  return (
    <Layout crumbs={crumbs}>
      <div className="page-head">
        <div className="grow">
          <p className="eyebrow">Lineage</p>
          <h1>
            {start ? nodeLabel(start) : 'Lineage'} {start ? <span className="muted small-title">{nodeSubtitle(start)}</span> : null}
          </h1>
          <p className="muted small uri">
            <code>{node || 'no start node'}</code>
          </p>
        </div>
        {startPage ? (
          <div className="actions">
            <Link className="btn" to={startPage}>
              Open {start?.type === 'run' ? 'run' : 'artifact'}
            </Link>
          </div>
        ) : null}
      </div>
      <form className="lineage-controls" onSubmit={(e) => e.preventDefault()} aria-label="Lineage options">
        <fieldset className="segmented">
          <legend className="sr-only">Direction</legend>
          {DIRECTIONS.map((d) => (
            <label key={d.id} className={direction === d.id ? 'on' : undefined} title={d.hint}>
              <input type="radio" name="direction" value={d.id} checked={direction === d.id} onChange={() => set({ direction: d.id === 'BOTH' ? undefined : d.id })} />
              {d.label}
            </label>
          ))}
        </fieldset>
        <label className="field inline">
          <span>Depth</span>
          <select value={depth} onChange={(e) => set({ depth: Number(e.target.value) === 3 ? undefined : Number(e.target.value) })} name="depth">
            {Array.from({ length: MAX_DEPTH }, (_, i) => i + 1).map((d) => (
              <option key={d} value={d}>
                {d} {d === 1 ? 'hop' : 'hops'}
              </option>
            ))}
          </select>
        </label>
        <Legend />
      </form>
      {!node ? <ErrorBox error={new Error('No start node: open the lineage from an artifact or a run.')} /> : null}
      {q.error ? <ErrorBox error={q.error} retry={q.refetch} title="Could not load the lineage" /> : null}
      {q.loading && !g ? <Loading what="Loading lineage" /> : null}
      {g && !q.error ? (
        <>
          {g.truncated ? (
            <p className="notice" role="status">
              The graph was cut at {depth} hops or {NODE_LIMIT} nodes; raise the depth or start from a nearer node to see more.
            </p>
          ) : null}
          <div className="lineage-layout" aria-busy={q.loading}>
            <div className="lineage-main">
              <Suspense fallback={<Loading what="Drawing graph" />}>
                <LineageGraph graph={g} startId={start?.id ?? ''} selectedId={selected} onSelect={(id) => set({ selected: id || undefined })} onOpen={open} />
              </Suspense>
            </div>
            <aside className="lineage-side" aria-label="Details">
              {sel ? <NodeCard n={sel} project={project} onClose={() => set({ selected: undefined })} /> : null}
              {start ? <ImpactPanel start={start} /> : null}
              <NodeList g={g} selected={selected} onSelect={(id) => set({ selected: id })} />
            </aside>
          </div>
        </>
      ) : null}
    </Layout>
  );
}

function pageOf(n: LineageNode): string | null {
  if (n.run) return runPath(n.run.project, n.run.uid);
  return pathForUri(n.id);
}

function Legend() {
  const items: [string, keyof typeof FAMILY_COLOURS][] = [
    ['Model', 'model'],
    ['Dataset', 'data'],
    ['Plot', 'plot'],
    ['File', 'file'],
    ['Feature', 'feature'],
    ['Run', 'run'],
  ];
  return (
    <ul className="legend" aria-label="Legend">
      {items.map(([label, fam]) => (
        <li key={fam}>
          <span className="swatch" style={{ background: FAMILY_COLOURS[fam].bg, borderColor: FAMILY_COLOURS[fam].line }} aria-hidden="true" />
          {label}
        </li>
      ))}
      <li className="muted small">arrows: data flow; dashed: derived from</li>
    </ul>
  );
}

function NodeCard({ n, project, onClose }: { n: LineageNode; project: string; onClose: () => void }) {
  const to = pageOf(n);
  return (
    <Section
      title={nodeLabel(n)}
      id="selected-node"
      actions={
        <button type="button" className="btn small ghost" onClick={onClose} aria-label="Close details">
          ×
        </button>
      }
    >
      <p>
        {n.artifact ? <KindBadge kind={n.artifact.kind} /> : <span className="badge kind run-badge">Run</span>}{' '}
        {n.run ? <StateBadge state={n.run.state} /> : null} <span className="muted small">{n.depth === 0 ? 'the start' : `${plural(n.depth, 'hop')} away`}</span>
      </p>
      <p className="small">
        <code className="path-full">{n.id}</code>
      </p>
      {n.artifact ? (
        <p className="small muted">
          Updated <Time iso={n.artifact.updatedAt} /> · tags {n.artifact.tags.join(', ') || 'none'}
        </p>
      ) : null}
      {n.run ? (
        <p className="small muted">
          Started <Time iso={n.run.startedAt} />
          {n.run.pipeline ? ` · pipeline ${n.run.pipeline.id}` : ''}
        </p>
      ) : null}
      <p className="actions-row">
        {to ? (
          <Link className="btn primary small" to={to}>
            Open {n.type === 'run' ? 'run' : 'artifact'}
          </Link>
        ) : null}
        {n.depth > 0 ? (
          <Link className="btn small" to={lineagePath(project, n.id)}>
            Centre lineage here
          </Link>
        ) : null}
      </p>
    </Section>
  );
}

/** What depends on the start node: counts, then the artifacts, runs and pipelines. */
function ImpactPanel({ start }: { start: LineageNode }) {
  const q = useQuery<{ impact: ImpactReport }>(IMPACT, { uri: start.id, depth: MAX_DEPTH });
  const im = q.data?.impact;
  return (
    <Section title="Impact" id="impact">
      <p className="muted small">
        What depends on {start.type === 'run' ? 'run' : 'this version of'} <strong>{nodeLabel(start)}</strong>: everything downstream, at any depth.
      </p>
      {q.error ? <ErrorBox error={q.error} retry={q.refetch} title="Could not compute the impact" /> : null}
      {!im && q.loading ? <Loading what="Computing impact" /> : null}
      {im ? (
        <>
          <dl className="counts impact-counts" aria-label="Impact counts">
            <div>
              <dt>Artifacts</dt>
              <dd>{im.artifacts.length}</dd>
            </div>
            <div>
              <dt>Runs</dt>
              <dd>{im.runs.length}</dd>
            </div>
            <div>
              <dt>Pipelines</dt>
              <dd>{im.pipelines.length}</dd>
            </div>
          </dl>
          {im.truncated ? <p className="notice small">Cut short: there is more downstream.</p> : null}
          {im.artifacts.length ? (
            <details>
              <summary>Artifacts ({im.artifacts.length})</summary>
              <ul className="plain impact-list">
                {im.artifacts.map((a) => (
                  <li key={a.uri}>
                    <KindBadge kind={a.kind} /> <Link to={pathForUri(a.uri) ?? '#'}>{a.key}</Link> <span className="muted small">{a.uid.slice(0, 8)}</span>
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
          {im.runs.length ? (
            <details>
              <summary>Runs ({im.runs.length})</summary>
              <ul className="plain impact-list">
                {im.runs.map((r) => (
                  <li key={r.uid}>
                    <Link to={runPath(r.project, r.uid)}>{r.name}</Link> <span className="muted small">{r.uid}</span> <StateBadge state={r.state} />
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
          {im.pipelines.length ? (
            <p className="small">
              Pipelines: {im.pipelines.map((p) => p.id).join(', ')}
            </p>
          ) : null}
          {!im.artifacts.length && !im.runs.length ? <p className="muted">Nothing depends on it yet.</p> : null}
        </>
      ) : null}
    </Section>
  );
}

/** The graph as a list (the text alternative to the canvas), nearest first. */
function NodeList({ g, selected, onSelect }: { g: Graph; selected: string; onSelect: (id: string) => void }) {
  return (
    <Section title={`Nodes (${g.nodes.length})`} id="nodes">
      {byDepth(g).map(([d, nodes]) => (
        <div key={d} className="depth-group">
          <h3 className="small">{d === 0 ? 'Start' : `${d} ${d === 1 ? 'hop' : 'hops'} away`}</h3>
          <ul className="plain node-list">
            {nodes.map((n) => (
              <li key={n.id} className={n.id === selected ? 'selected' : undefined}>
                <span className="swatch" style={{ background: FAMILY_COLOURS[nodeFamily(n)].bg, borderColor: FAMILY_COLOURS[nodeFamily(n)].line }} aria-hidden="true" />
                <button type="button" className="linklike" onClick={() => onSelect(n.id)} aria-pressed={n.id === selected}>
                  {nodeLabel(n)}
                </button>{' '}
                <span className="muted small">{n.artifact ? KIND_LABEL[n.artifact.kind] : `run ${n.run?.uid ?? ''}`}</span>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </Section>
  );
}
