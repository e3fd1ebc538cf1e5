import { Producer } from '../components/ArtifactTable';
import { CopyButton, Facts, KindBadge, Labels, Section, StateBadge, Tags, Time } from '../components/Bits';
import { ContentView, viewerFor } from '../components/Content';
import { JsonBlock, KeyValues, PreviewTable, SchemaView, StatsTable } from '../components/Data';
import { Layout } from '../components/Layout';
import { ErrorBox, Loading, NotFound } from '../components/Status';
import { getToken, saveWithToken } from '../lib/auth';
import { formatBytes, formatDate, formatNumber, plural } from '../lib/format';
import { artifactPath, KIND_GROUPS, KIND_LABEL, lineagePath, pathForUri, runPath, storePrefix, storeUri } from '../lib/kinds';
import { ARTIFACT, IMPACT, VERSIONS } from '../lib/queries';
import { href, Link, useRouter } from '../lib/router';
import { usePageTitle } from '../lib/title';
import type { ArtifactDetail, Connection, ImpactReport, VersionRef, VersionSummary } from '../lib/types';
import { useQuery } from '../lib/useQuery';
import { useState } from 'react';

export function yamlPath(v: { project: string; uid: string }) {
  return `/api/v1/artifacts/${encodeURIComponent(v.project)}/${encodeURIComponent(v.uid)}/yaml`;
}

function groupOf(kind: ArtifactDetail['kind']) {
  return KIND_GROUPS.find((g) => (g.kinds as readonly string[]).includes(kind)) ?? KIND_GROUPS[0];
}

/** One artifact version: what, where, who, type-specific details, links, lineage, versions. */
export function ArtifactPage({ project, prefix, artifactKey }: { project: string; prefix: string; artifactKey: string }) {
  const { location } = useRouter();
  const params = new URLSearchParams(location.search);
  const uri = storeUri(prefix, project, artifactKey, params);
  const q = useQuery<{ artifact: ArtifactDetail | null }>(ARTIFACT, { uri });
  const v = q.data?.artifact;
  usePageTitle(v ? `${v.key} · ${project}` : artifactKey);
  const base = `/projects/${encodeURIComponent(project)}`;
  const group = v ? groupOf(v.kind) : null;
  const crumbs = [
    { label: 'Projects', to: '/' },
    { label: project, to: base },
    ...(group ? [{ label: group.label, to: group.id === 'all' ? base : `${base}?type=${group.id}` }] : []),
    { label: artifactKey },
  ];
  return (
    <Layout crumbs={crumbs}>
      {q.error ? <ErrorBox error={q.error} retry={q.refetch} title="Could not load the artifact" /> : null}
      {q.loading && (!v || v.key !== artifactKey) ? <Loading what="Loading artifact" /> : null}
      {q.data && !v && !q.loading ? (
        <NotFound what="Artifact version">
          Nothing matches <code>{uri}</code>. <Link to={base}>Browse {project}'s artifacts</Link>
        </NotFound>
      ) : null}
      {v && !q.error ? <ArtifactView v={v} /> : null}
    </Layout>
  );
}

function ArtifactView({ v }: { v: ArtifactDetail }) {
  const viewer = v.downloadUrl ? viewerFor(v.format, v.kind) : null;
  const isData = v.kind === 'DATASET' || v.kind === 'TABLE';
  const [yamlError, setYamlError] = useState<string | null>(null);
  const gqlQuery = `{\n  artifact(uri: "${v.uri}") {\n    uri kind tags\n    labels { key value }\n    producer { kind name owner }\n    downloadUrl\n  }\n}\n`;
  return (
    <>
      <div className="page-head">
        <div className="grow">
          <p className="eyebrow">
            <KindBadge kind={v.kind} /> {v.format ? <span className="muted">{v.format}</span> : null}
          </p>
          <h1>
            {v.key}
            {v.iteration ? <span className="muted"> #{v.iteration}</span> : null}
          </h1>
          <Tags tags={v.tags} />
          <p className="uri">
            <code>{v.uri}</code> <CopyButton text={v.uri} label="Copy URI" />
          </p>
          {!v.tags.includes('latest') ? (
            <p className="notice">
              This is an older version.{' '}
              <Link to={href(`/projects/${encodeURIComponent(v.project)}/${storePrefix(v.kind)}/${encodeURIComponent(v.key)}`, { tag: 'latest', iter: v.iteration || undefined })}>
                See the latest
              </Link>
            </p>
          ) : null}
        </div>
        <div className="actions">
          {v.downloadUrl ? (
            <a className="btn primary" href={v.downloadUrl} download>
              Download content
            </a>
          ) : (
            <span className="btn disabled" aria-disabled="true" title="Nothing was uploaded for this version">
              No content to download
            </span>
          )}
          <a
            className="btn"
            href={yamlPath(v)}
            download={`${v.key}.yaml`}
            onClick={(e) => {
              // Under --auth token the route needs the header a plain link cannot send.
              if (!getToken()) return;
              e.preventDefault();
              setYamlError(null);
              saveWithToken(yamlPath(v), `${v.key}.yaml`).catch((err: Error) => setYamlError(err.message));
            }}
          >
            Download YAML
          </a>
          <Link className="btn" to={lineagePath(v.project, v.uri)}>
            Lineage
          </Link>
          <a className="btn ghost" href={href('/graphiql', { query: gqlQuery })}>
            Query in GraphiQL
          </a>
          {yamlError ? (
            <span className="hint" role="alert">
              Could not download the YAML: {yamlError}
            </span>
          ) : null}
        </div>
      </div>

      <div className="grid-2">
        <Section title="Overview" id="overview">
          <Facts
            rows={[
              ['Location', <code className="path-full">{v.targetPath}</code>],
              ['Type', `${KIND_LABEL[v.kind]}${v.format ? ` (${v.format})` : ''}`],
              ['Labels', <Labels labels={v.labels} />],
              ['Producer', <Producer v={v} />],
              ['Owner', v.owner?.name ?? v.producer?.owner ?? null],
              ['Last update', <span>{formatDate(v.updatedAt)} (<Time iso={v.updatedAt} />)</span>],
              ['Created', formatDate(v.createdAt)],
              ['Size', v.size != null ? `${formatBytes(v.size)} (${formatNumber(v.size)} bytes)` : null],
              ['Hash', v.hash ? <code className="hash">{v.hash}</code> : null],
              ['Iteration', v.iteration ? String(v.iteration) : undefined],
              ['Description', v.description],
            ]}
          />
        </Section>
        <LineageSummary v={v} />
      </div>

      {v.model ? <ModelSection v={v} /> : null}
      {isData || v.dataset ? <DatasetSection v={v} /> : null}

      {viewer && !(isData && v.dataset?.preview?.length) ? (
        <Section title="Content" id="content">
          <ContentView url={v.downloadUrl!} format={v.format} kind={v.kind} title={`Content of ${v.key}`} />
        </Section>
      ) : null}

      <LinksSection v={v} />
      {v.extra != null ? (
        <Section title="Extra metadata" id="extra">
          <JsonBlock value={v.extra} label="Extra metadata" />
        </Section>
      ) : null}
      <VersionsSection v={v} />
      <Section title="YAML export" id="yaml" actions={<CopyButton text={v.yaml} label="Copy YAML" />}>
        <details>
          <summary>Show MLRun YAML ({v.yaml.split('\n').length} lines)</summary>
          <pre className="yaml" tabIndex={0}>
            {v.yaml}
          </pre>
        </details>
      </Section>
    </>
  );
}

function ModelSection({ v }: { v: ArtifactDetail }) {
  const m = v.model!;
  const fv = m.featureVector ? pathForUri(m.featureVector) : null;
  return (
    <Section title="Model" id="model">
      <Facts
        rows={[
          ['Framework', m.framework],
          ['Algorithm', m.algorithm],
          ['Model file', m.modelFile ? <code>{m.modelFile}</code> : null],
          ['Feature vector', m.featureVector ? fv ? <Link to={fv}>{m.featureVector}</Link> : <code>{m.featureVector}</code> : undefined],
        ]}
      />
      <div className="grid-2 inner">
        <div>
          <h3>Metrics</h3>
          {m.metrics != null ? <KeyValues value={m.metrics} caption="Metrics" keyHead="Metric" /> : <p className="muted">None logged.</p>}
        </div>
        <div>
          <h3>Parameters</h3>
          {m.parameters != null ? <KeyValues value={m.parameters} caption="Parameters" keyHead="Parameter" /> : <p className="muted">None logged.</p>}
        </div>
      </div>
    </Section>
  );
}

function DatasetSection({ v }: { v: ArtifactDetail }) {
  const d = v.dataset;
  const rows = d?.preview ?? [];
  return (
    <Section title="Dataset" id="dataset">
      {!d ? (
        <p className="muted">No schema, preview or statistics were logged with this version.</p>
      ) : (
        <>
          <p className="muted">
            {d.length != null ? `${formatNumber(d.length)} rows` : 'Row count unknown'}
            {d.header?.length ? ` × ${d.header.length} columns` : ''}
            {rows.length ? ` · preview of the first ${rows.length}` : ''}
          </p>
          {rows.length ? (
            <>
              <h3>Preview</h3>
              <PreviewTable header={d.header} rows={rows} caption={`Preview of ${v.key}`} />
            </>
          ) : null}
          <div className="grid-2 inner">
            {d.schema != null ? (
              <div>
                <h3>Schema</h3>
                <SchemaView schema={d.schema} />
              </div>
            ) : null}
            {d.stats != null ? (
              <div>
                <h3>Statistics</h3>
                <StatsTable stats={d.stats} />
              </div>
            ) : null}
          </div>
        </>
      )}
    </Section>
  );
}

function VersionLink({ t }: { t: VersionRef }) {
  return (
    <span className="vref">
      <KindBadge kind={t.kind} /> <Link to={artifactPath(t)}>{t.key}</Link>{' '}
      <span className="muted small" title={t.uri}>
        {t.uid.slice(0, 8)}
      </span>{' '}
      {t.tags.length ? <Tags tags={t.tags} /> : null}
    </span>
  );
}

/** Links both ways: "this model points to chart X" (shown inline) and who links here. */
function LinksSection({ v }: { v: ArtifactDetail }) {
  if (!v.links.length && !v.linkedFrom.length) return null;
  return (
    <Section title="Links" id="links">
      {v.links.length ? (
        <>
          <h3>Links to</h3>
          <ul className="link-list link-grid">
            {v.links.map((l) => (
              <li key={`${l.relation} ${l.target.uri}`}>
                <span className="relation">{l.relation}</span> <VersionLink t={l.target} />
                {l.target.downloadUrl && viewerFor(l.target.format, l.target.kind) && l.target.kind === 'PLOT' ? (
                  <div className="link-preview">
                    <ContentView url={l.target.downloadUrl} format={l.target.format ?? null} kind={l.target.kind} title={`${l.relation}: ${l.target.key}`} />
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {v.linkedFrom.length ? (
        <>
          <h3>Linked from</h3>
          <ul className="link-list">
            {v.linkedFrom.map((l) => (
              <li key={`${l.relation} ${l.target.uri}`}>
                <VersionLink t={l.target} /> <span className="muted">as its</span> <span className="relation">{l.relation}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Section>
  );
}

/** Where it came from and where it went, one hop; and what depends on it. */
function LineageSummary({ v }: { v: ArtifactDetail }) {
  const impact = useQuery<{ impact: ImpactReport }>(IMPACT, { uri: v.uri });
  const im = impact.data?.impact;
  return (
    <Section title="Lineage" id="lineage" actions={<Link className="btn small" to={lineagePath(v.project, v.uri)}>Open graph</Link>}>
      <Facts
        rows={[
          [
            'Produced by',
            v.run ? (
              <span>
                <Link to={runPath(v.run.project, v.run.uid)}>{v.run.name}</Link> <StateBadge state={v.run.state} />
                {v.run.pipeline ? <span className="muted small"> in pipeline {v.run.pipeline.id}</span> : null}
              </span>
            ) : (
              <span className="muted">logged outside a run</span>
            ),
          ],
          [
            'Derived from',
            v.sources.length ? (
              <ul className="plain">
                {v.sources.map((s) => (
                  <li key={s.uri}>
                    <VersionLink t={s} />
                  </li>
                ))}
              </ul>
            ) : null,
          ],
          [
            'External sources',
            v.externalSources.length ? (
              <ul className="plain">
                {v.externalSources.map((s) => (
                  <li key={s}>
                    <code>{s}</code>
                  </li>
                ))}
              </ul>
            ) : undefined,
          ],
          [
            'Read by runs',
            v.consumers.length ? (
              <ul className="plain">
                {v.consumers.map((r) => (
                  <li key={r.uid}>
                    <Link to={runPath(r.project, r.uid)}>{r.name}</Link> <span className="muted small">{r.uid}</span> <StateBadge state={r.state} />
                  </li>
                ))}
              </ul>
            ) : null,
          ],
          [
            'Depends on it',
            impact.error ? (
              <span className="error-text">{impact.error.message}</span>
            ) : !im ? (
              <span className="muted">counting…</span>
            ) : (
              im.artifacts.length || im.runs.length ? (
                <Link to={lineagePath(v.project, v.uri, { direction: 'DOWNSTREAM' })} className="impact-line">
                  {plural(im.artifacts.length, 'artifact')} · {plural(im.runs.length, 'run')} · {plural(im.pipelines.length, 'pipeline')}
                  {im.truncated ? ' (at least)' : ''}
                </Link>
              ) : (
                <span className="muted">nothing yet</span>
              )
            ),
          ],
        ]}
      />
    </Section>
  );
}

function VersionsSection({ v }: { v: ArtifactDetail }) {
  const [after, setAfter] = useState<string[]>([]);
  const cursor = after[after.length - 1] ?? null;
  const q = useQuery<{ artifacts: Connection<VersionSummary & { hash: string | null }> }>(VERSIONS, {
    project: v.project,
    filter: { key: v.key, kind: v.kind },
    first: 10,
    after: cursor,
  });
  const c = q.data?.artifacts;
  return (
    <Section title={`Versions${c ? ` (${c.totalCount})` : ''}`} id="versions">
      {q.error ? <ErrorBox error={q.error} retry={q.refetch} /> : null}
      {!c && q.loading ? <Loading what="Loading versions" /> : null}
      {c ? (
        <>
          <div className="table-wrap" role="region" aria-label="Versions" tabIndex={0}>
            <table className="table versions stack">
              <caption className="sr-only">Versions of {v.key}</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Tags</th>
                  <th scope="col">Producer</th>
                  <th scope="col">Updated</th>
                  <th scope="col" className="num">Size</th>
                  <th scope="col">Hash</th>
                </tr>
              </thead>
              <tbody>
                {c.edges.map(({ node: x }) => (
                  <tr key={x.uid} className={x.uid === v.uid ? 'current' : undefined} aria-current={x.uid === v.uid ? 'true' : undefined}>
                    <th scope="row">
                      {x.uid === v.uid ? (
                        <strong>{x.uid.slice(0, 8)} (this)</strong>
                      ) : (
                        <Link to={artifactPath(x)}>{x.uid.slice(0, 8)}</Link>
                      )}
                      {x.iteration ? <span className="muted small"> #{x.iteration}</span> : null}
                    </th>
                    <td data-label="Tags">
                      <Tags tags={x.tags} />
                    </td>
                    <td data-label="Producer">
                      <Producer v={x} />
                    </td>
                    <td data-label="Updated" className="nowrap">
                      <Time iso={x.updatedAt} />
                    </td>
                    <td className="num" data-label="Size">{formatBytes(x.size)}</td>
                    <td data-label="Hash">
                      <code className="hash small">{x.hash ? x.hash.slice(0, 19) : '—'}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {c.pageInfo.hasNextPage || after.length ? (
            <nav className="pager" aria-label="Version pages">
              <span />
              <span className="pager-buttons">
                <button type="button" className="btn" disabled={!after.length} onClick={() => setAfter(after.slice(0, -1))}>
                  ← Newer
                </button>
                <button type="button" className="btn" disabled={!c.pageInfo.hasNextPage} onClick={() => setAfter([...after, c.pageInfo.endCursor!])}>
                  Older →
                </button>
              </span>
            </nav>
          ) : null}
        </>
      ) : null}
    </Section>
  );
}
