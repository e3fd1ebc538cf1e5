import { Fragment } from 'react';
import { typeSummary } from '../components/ArtifactTable';
import { Facts, KindBadge, Labels, Section, StateBadge, Tags, Time } from '../components/Bits';
import { ContentView, viewerFor } from '../components/Content';
import { PreviewTable } from '../components/Data';
import { Layout } from '../components/Layout';
import { Empty, ErrorBox, Loading, NotFound } from '../components/Status';
import { duration, formatBytes, formatDate } from '../lib/format';
import { artifactPath, lineagePath, runNodeId, runPath } from '../lib/kinds';
import { ARTIFACT, RUN } from '../lib/queries';
import { href, Link, useRouter } from '../lib/router';
import { usePageTitle } from '../lib/title';
import type { ArtifactDetail, RunDetail, VersionSummary } from '../lib/types';
import { useQuery } from '../lib/useQuery';
import { yamlPath } from './ArtifactPage';

const TABS = [
  { id: 'artifacts', label: 'Artifacts' },
  { id: 'inputs', label: 'Inputs' },
  { id: 'pipeline', label: 'Pipeline' },
] as const;

/** A run: its facts, the artifacts it logged (view and download each), its inputs, its pipeline. */
export function RunPage({ project, uid }: { project: string; uid: string }) {
  const { location } = useRouter();
  const params = new URLSearchParams(location.search);
  const tab = TABS.find((t) => t.id === params.get('tab'))?.id ?? 'artifacts';
  const open = params.get('view') ?? '';
  const q = useQuery<{ run: RunDetail | null }>(RUN, { project, uid });
  const r = q.data?.run;
  usePageTitle(r ? `Run ${r.name} (${r.uid}) · ${project}` : `Run ${uid}`);
  const base = `/projects/${encodeURIComponent(project)}`;
  const here = runPath(project, uid);
  return (
    <Layout crumbs={[{ label: 'Projects', to: '/' }, { label: project, to: base }, { label: 'Runs', to: `${base}/runs` }, { label: r?.name ? `${r.name} · ${uid}` : uid, to: undefined }]}>
      {q.error ? <ErrorBox error={q.error} retry={q.refetch} title="Could not load the run" /> : null}
      {q.loading && (!r || r.uid !== uid) ? <Loading what="Loading run" /> : null}
      {q.data && !r && !q.loading ? (
        <NotFound what={`Run "${uid}"`}>
          <Link to={`${base}/runs`}>See {project}'s runs</Link>
        </NotFound>
      ) : null}
      {r && !q.error ? (
        <>
          <div className="page-head">
            <div className="grow">
              <p className="eyebrow">
                Run <StateBadge state={r.state} />
              </p>
              <h1>
                {r.name} <span className="muted small-title">{r.uid}</span>
              </h1>
              <Labels labels={r.labels} />
            </div>
            <div className="actions">
              <Link className="btn" to={lineagePath(r.project, runNodeId(r.project, r.uid))}>
                Lineage
              </Link>
            </div>
          </div>
          <Section title="Overview" id="overview">
            <Facts
              tiles
              rows={[
                ['User', r.user?.name ?? null],
                ['Pipeline', r.pipeline ? <Link to={href(here, { tab: 'pipeline' })}>{r.pipeline.id}</Link> : null],
                ['Started', formatDate(r.startedAt)],
                ['Finished', r.finishedAt ? formatDate(r.finishedAt) : r.state === 'RUNNING' ? 'still running' : null],
                ['Duration', duration(r.startedAt, r.finishedAt)],
                ['Artifact path', <code className="path-full">{r.artifactPath}</code>],
              ]}
            />
          </Section>
          <nav className="tabs" aria-label="Run details">
            {TABS.map((t) => (
              <Link key={t.id} to={href(here, { tab: t.id === 'artifacts' ? undefined : t.id })} className="tab" aria-current={t.id === tab ? 'page' : undefined} replace>
                {t.label}
                <span className="count">{t.id === 'artifacts' ? r.outputs.length : t.id === 'inputs' ? r.inputs.length : (r.pipeline?.runs.length ?? 0)}</span>
              </Link>
            ))}
          </nav>
          {tab === 'artifacts' ? (
            <RunArtifacts items={r.outputs} open={open} here={here} empty="This run logged no artifacts." caption="Artifacts this run logged" />
          ) : null}
          {tab === 'inputs' ? (
            <RunArtifacts items={r.inputs} open={open} here={href(here, { tab: 'inputs' })} empty="This run read no artifacts." caption="Artifacts this run read" />
          ) : null}
          {tab === 'pipeline' ? <PipelineRuns r={r} /> : null}
        </>
      ) : null}
    </Layout>
  );
}

/** The run's artifacts, each with "View" (inline content or preview) and "Download". */
function RunArtifacts({ items, open, here, empty, caption }: { items: VersionSummary[]; open: string; here: string; empty: string; caption: string }) {
  const { navigate } = useRouter();
  if (!items.length) return <Empty>{empty}</Empty>;
  const toggle = (uid: string) => {
    const u = new URL(here, window.location.origin);
    if (open !== uid) u.searchParams.set('view', uid);
    navigate(u.pathname + u.search, { replace: true });
  };
  return (
    <div className="table-wrap" role="region" aria-label={caption} tabIndex={0}>
      <table className="table run-artifacts stack">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Tags</th>
            <th scope="col">Details</th>
            <th scope="col">Updated</th>
            <th scope="col" className="num">Size</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((v) => {
            const expanded = open === v.uid;
            return (
              <Fragment key={v.uid}>
                <tr className={expanded ? 'expanded' : undefined}>
                  <th scope="row">
                    <Link to={artifactPath(v)}>{v.key}</Link>
                    <div className="muted small">{v.uid.slice(0, 8)}</div>
                  </th>
                  <td data-label="Type">
                    <KindBadge kind={v.kind} />
                  </td>
                  <td data-label="Tags">
                    <Tags tags={v.tags} />
                  </td>
                  <td className="small" data-label="Details">{typeSummary(v) || <span className="muted">—</span>}</td>
                  <td data-label="Updated" className="nowrap">
                    <Time iso={v.updatedAt} />
                  </td>
                  <td className="num" data-label="Size">{formatBytes(v.size)}</td>
                  <td data-label="">
                    <div className="row-actions">
                    <button type="button" className="btn small" aria-expanded={expanded} aria-controls={`view-${v.uid}`} onClick={() => toggle(v.uid)}>
                      {expanded ? 'Hide' : 'View'}
                    </button>
                    {v.downloadUrl ? (
                      <a className="btn small" href={v.downloadUrl} download aria-label={`Download ${v.key}`}>
                        Download
                      </a>
                    ) : null}
                    <a className="btn small ghost" href={yamlPath(v)} download={`${v.key}.yaml`} aria-label={`Download ${v.key} YAML`}>
                      YAML
                    </a>
                    </div>
                  </td>
                </tr>
                {expanded ? (
                  <tr className="viewer-row">
                    <td colSpan={7} id={`view-${v.uid}`} data-label="">
                      <InlineView v={v} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** An artifact's content in the run's table: a dataset's preview, a plot, text. */
function InlineView({ v }: { v: VersionSummary }) {
  const isData = v.kind === 'DATASET' || v.kind === 'TABLE';
  const detail = useQuery<{ artifact: ArtifactDetail | null }>(ARTIFACT, { uri: v.uri }, !isData);
  if (isData) {
    if (detail.error) return <ErrorBox error={detail.error} retry={detail.refetch} />;
    const d = detail.data?.artifact?.dataset;
    if (!detail.data) return <Loading what="Loading preview" />;
    if (d?.preview?.length) return <PreviewTable header={d.header} rows={d.preview} caption={`Preview of ${v.key}`} />;
  }
  if (v.downloadUrl && viewerFor(v.format, v.kind)) {
    return <ContentView url={v.downloadUrl} format={v.format} kind={v.kind} title={`Content of ${v.key}`} />;
  }
  return (
    <p className="muted">
      No inline view for this {v.format ? `${v.format} ` : ''}artifact. <Link to={artifactPath(v)}>Open its page</Link>
      {v.downloadUrl ? (
        <>
          {' '}
          or{' '}
          <a href={v.downloadUrl} download>
            download it
          </a>
        </>
      ) : null}
      .
    </p>
  );
}

function PipelineRuns({ r }: { r: RunDetail }) {
  if (!r.pipeline) return <Empty>This run is not part of a pipeline.</Empty>;
  const runs = [...r.pipeline.runs].sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
  return (
    <Section title={`Pipeline ${r.pipeline.id}`} id="pipeline">
      <ol className="pipeline">
        {runs.map((x) => (
          <li key={x.uid} className={x.uid === r.uid ? 'current' : undefined} aria-current={x.uid === r.uid ? 'step' : undefined}>
            <StateBadge state={x.state} />{' '}
            {x.uid === r.uid ? <strong>{x.name}</strong> : <Link to={runPath(x.project, x.uid)}>{x.name}</Link>}{' '}
            <span className="muted small">{x.uid}</span>
            <span className="muted small">
              {' '}
              · started <Time iso={x.startedAt} />
              {x.startedAt ? ` · ${duration(x.startedAt, x.finishedAt)}` : ''}
            </span>
          </li>
        ))}
      </ol>
    </Section>
  );
}
