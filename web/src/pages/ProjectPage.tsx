import { ArtifactTable } from '../components/ArtifactTable';
import { Labels, StateBadge, Time } from '../components/Bits';
import { FilterBar } from '../components/FilterBar';
import { Layout } from '../components/Layout';
import { Pager } from '../components/Pager';
import { Empty, ErrorBox, Loading, NotFound } from '../components/Status';
import { kindsToQuery, listQuery, parseListState, toFilter, type ListState } from '../lib/filters';
import { duration } from '../lib/format';
import { KIND_GROUPS, KIND_LABEL, runPath } from '../lib/kinds';
import { fetchArtifactPage, PROJECT, RUNS } from '../lib/queries';
import { href, Link, useRouter } from '../lib/router';
import { usePageTitle } from '../lib/title';
import type { Connection, Label, Project, RunRef } from '../lib/types';
import { useAsync, useQuery } from '../lib/useQuery';

export const PAGE_SIZE = 25;

/** The cursors of the pages before this one, kept in history.state. */
function cursorStack(state: unknown): string[] | null {
  const s = (state as { cursors?: unknown } | null)?.cursors;
  return Array.isArray(s) ? (s as string[]) : null;
}

function ProjectHeader({ project, tab }: { project: Project; tab: string }) {
  const base = `/projects/${encodeURIComponent(project.name)}`;
  const tabs = [...KIND_GROUPS.map((g) => ({ id: g.id, label: g.label, to: g.id === 'all' ? base : `${base}?type=${g.id}` })), { id: 'runs', label: 'Runs', to: `${base}/runs` }];
  return (
    <>
      <div className="page-head">
        <div>
          <p className="eyebrow">Project</p>
          <h1>{project.name}</h1>
          {project.description ? <p className="lede">{project.description}</p> : null}
          <Labels labels={project.labels} />
        </div>
      </div>
      <nav className="tabs" aria-label="Artifact types and runs">
        {tabs.map((t) => (
          <Link key={t.id} to={t.to} className="tab" aria-current={t.id === tab ? 'page' : undefined}>
            {t.label}
          </Link>
        ))}
      </nav>
    </>
  );
}

/** Loads the project for the header; shows not-found and errors. */
function useProject(name: string) {
  return useQuery<{ project: Project | null }>(PROJECT, { name });
}

/** A project's artifacts of one type, with search and cursor paging. */
export function ProjectPage({ project: name }: { project: string }) {
  const { location, navigate } = useRouter();
  const params = new URLSearchParams(location.search);
  const state = parseListState(params);
  const group = KIND_GROUPS.find((g) => g.id === state.type)!;
  usePageTitle(`${group.label} · ${name}`);
  const project = useProject(name);
  const kinds = kindsToQuery(state);
  const filter = toFilter(state);
  const page = useAsync(
    (signal) => fetchArtifactPage(name, kinds, filter, PAGE_SIZE, state.after, signal),
    JSON.stringify([name, kinds, filter, state.after]),
  );
  const base = `/projects/${encodeURIComponent(name)}`;
  const stack = cursorStack(location.state);
  const offset = !state.after ? 0 : stack ? stack.length * PAGE_SIZE : null;

  const go = (next: Partial<ListState>, historyState?: unknown) =>
    navigate(href(base, listQuery({ ...state, ...next })), { state: historyState });

  return (
    <Layout crumbs={[{ label: 'Projects', to: '/' }, { label: name, to: base }, { label: group.label }]}>
      {project.error ? <ErrorBox error={project.error} retry={project.refetch} /> : null}
      {project.data && !project.data.project ? (
        <NotFound what={`Project "${name}"`}>
          <Link to="/">See all projects</Link>
        </NotFound>
      ) : null}
      {project.data?.project ? (
        <>
          <ProjectHeader project={project.data.project} tab={state.type} />
          {group.kinds.length > 1 ? (
            <div className="kind-filter" role="group" aria-label={`${group.label}: kind`}>
              {[{ k: '', label: `All ${group.label.toLowerCase()}` }, ...group.kinds.map((k) => ({ k, label: KIND_LABEL[k] }))].map((o) => (
                <Link
                  key={o.k}
                  to={href(base, listQuery({ ...state, kind: o.k as ListState['kind'], after: '' }))}
                  className="chip toggle"
                  aria-current={state.kind === o.k ? 'true' : undefined}
                >
                  {o.label}
                </Link>
              ))}
            </div>
          ) : null}
          <FilterBar value={state} onChange={(next) => go({ ...next, after: '' })} />
          <div className="results" aria-busy={page.loading}>
            {page.error ? <ErrorBox error={page.error} retry={page.refetch} title="Could not list the artifacts" /> : null}
            {page.loading && !page.data ? <Loading what="Loading artifacts" /> : null}
            {page.data && !page.error ? (
              page.data.items.length ? (
                <>
                  <ArtifactTable
                    items={page.data.items}
                    caption={`${group.label} in ${name}`}
                    onPickLabel={(cond) => !state.labels.includes(cond) && go({ labels: [...state.labels, cond], after: '' })}
                  />
                  <Pager
                    shown={page.data.items.length}
                    total={page.data.totalCount}
                    offset={offset}
                    noun={state.allVersions ? 'versions' : 'artifacts'}
                    hasNext={page.data.hasNextPage}
                    hasPrev={!!state.after && !!stack}
                    onNext={() => go({ after: page.data!.endCursor ?? '' }, { cursors: [...(stack ?? []), state.after] })}
                    onPrev={() => {
                      const prev = [...(stack ?? [])];
                      const after = prev.pop() ?? '';
                      go({ after }, { cursors: prev });
                    }}
                    onFirst={() => go({ after: '' })}
                  />
                </>
              ) : (
                <Empty>
                  <p>
                    No {group.label.toLowerCase()} match
                    {state.tag ? (
                      <>
                        {' '}
                        (showing versions tagged <code>{state.tag}</code>; tick <em>All versions</em> for the rest)
                      </>
                    ) : null}
                    .
                  </p>
                </Empty>
              )
            ) : null}
          </div>
        </>
      ) : project.loading ? (
        <Loading what="Loading project" />
      ) : null}
    </Layout>
  );
}

interface RunRow extends RunRef {
  user: { name: string } | null;
  pipeline: { id: string } | null;
  labels: Label[];
  inputs: { uri: string }[];
  outputs: { uri: string }[];
}

/** A project's runs, most recently started first. */
export function RunsPage({ project: name }: { project: string }) {
  usePageTitle(`Runs · ${name}`);
  const { location, navigate } = useRouter();
  const after = new URLSearchParams(location.search).get('after') ?? '';
  const project = useProject(name);
  const runs = useQuery<{ runs: Connection<RunRow> }>(RUNS, { project: name, first: PAGE_SIZE, after: after || null });
  const base = `/projects/${encodeURIComponent(name)}`;
  const stack = cursorStack(location.state);
  const offset = !after ? 0 : stack ? stack.length * PAGE_SIZE : null;
  const go = (a: string, st?: unknown) => navigate(href(`${base}/runs`, { after: a }), { state: st });
  return (
    <Layout crumbs={[{ label: 'Projects', to: '/' }, { label: name, to: base }, { label: 'Runs' }]}>
      {project.error ? <ErrorBox error={project.error} retry={project.refetch} /> : null}
      {project.data && !project.data.project ? <NotFound what={`Project "${name}"`} /> : null}
      {project.data?.project ? <ProjectHeader project={project.data.project} tab="runs" /> : null}
      {runs.error ? <ErrorBox error={runs.error} retry={runs.refetch} title="Could not list the runs" /> : null}
      {runs.loading && !runs.data ? <Loading what="Loading runs" /> : null}
      {runs.data && !runs.error ? (
        runs.data.runs.edges.length ? (
          <>
            <div className="table-wrap" role="region" aria-label={`Runs in ${name}`} tabIndex={0}>
              <table className="table runs stack">
                <caption className="sr-only">Runs in {name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col">State</th>
                    <th scope="col">Pipeline</th>
                    <th scope="col">User</th>
                    <th scope="col">Started</th>
                    <th scope="col">Duration</th>
                    <th scope="col" className="num">Inputs</th>
                    <th scope="col" className="num">Artifacts</th>
                    <th scope="col">Labels</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.data.runs.edges.map(({ node: r }) => (
                    <tr key={r.uid}>
                      <th scope="row">
                        <Link to={runPath(r.project, r.uid)}>{r.name}</Link>
                        <div className="muted small">{r.uid}</div>
                      </th>
                      <td data-label="State">
                        <StateBadge state={r.state} />
                      </td>
                      <td data-label="Pipeline">{r.pipeline?.id ?? <span className="muted">—</span>}</td>
                      <td data-label="User">{r.user?.name ?? <span className="muted">—</span>}</td>
                      <td data-label="Started" className="nowrap">
                        <Time iso={r.startedAt} />
                      </td>
                      <td data-label="Duration">{r.startedAt ? duration(r.startedAt, r.finishedAt) : '—'}</td>
                      <td className="num" data-label="Inputs">{r.inputs.length}</td>
                      <td className="num" data-label="Artifacts">{r.outputs.length}</td>
                      <td data-label="Labels">
                        <Labels labels={r.labels} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager
              shown={runs.data.runs.edges.length}
              total={runs.data.runs.totalCount}
              offset={offset}
              noun="runs"
              hasNext={runs.data.runs.pageInfo.hasNextPage}
              hasPrev={!!after && !!stack}
              onNext={() => go(runs.data!.runs.pageInfo.endCursor ?? '', { cursors: [...(stack ?? []), after] })}
              onPrev={() => {
                const prev = [...(stack ?? [])];
                go(prev.pop() ?? '', { cursors: prev });
              }}
              onFirst={() => go('')}
            />
          </>
        ) : (
          <Empty>No runs in this project yet.</Empty>
        )
      ) : null}
    </Layout>
  );
}
