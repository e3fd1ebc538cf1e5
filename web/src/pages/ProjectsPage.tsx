import { Labels, Time } from '../components/Bits';
import { Layout } from '../components/Layout';
import { Empty, ErrorBox, Loading } from '../components/Status';
import { formatNumber } from '../lib/format';
import { PROJECTS, projectCountsQuery } from '../lib/queries';
import { Link } from '../lib/router';
import type { Project } from '../lib/types';
import { usePageTitle } from '../lib/title';
import { useQuery } from '../lib/useQuery';

interface Counts {
  [alias: string]: { totalCount: number; edges?: { node: { startedAt: string } }[] };
}

/** Every project, with its artifact, model and run counts and its last run. */
export function ProjectsPage() {
  usePageTitle('Projects');
  const projects = useQuery<{ projects: Project[] }>(PROJECTS, {});
  const names = projects.data?.projects.map((p) => p.name) ?? [];
  const cq = projectCountsQuery(names);
  const counts = useQuery<Counts>(cq.query, cq.variables, names.length === 0);

  return (
    <Layout crumbs={[{ label: 'Projects' }]}>
      <div className="page-head">
        <div>
          <h1>Projects</h1>
          <p className="lede">Artifacts, runs and their lineage, by project.</p>
        </div>
      </div>
      {projects.error ? <ErrorBox error={projects.error} retry={projects.refetch} title="Could not list the projects" /> : null}
      {projects.loading && !projects.data ? <Loading what="Loading projects" /> : null}
      {projects.data && projects.data.projects.length === 0 ? (
        <Empty>
          <p>No projects yet. Create one with <code>upsertProject</code> and log artifacts with <code>logArtifact</code>:</p>
          <p>
            <a className="btn primary" href="/graphiql">
              Open GraphiQL
            </a>
          </p>
        </Empty>
      ) : null}
      {projects.data?.projects.length ? (
        <ul className="project-grid" aria-label="Projects">
          {projects.data.projects.map((p, i) => {
            const a = counts.data?.[`a${i}`]?.totalCount;
            const m = counts.data?.[`m${i}`]?.totalCount;
            const r = counts.data?.[`r${i}`];
            const last = r?.edges?.[0]?.node.startedAt;
            return (
              <li key={p.name} className="card project-card">
                <h2>
                  <Link to={`/projects/${encodeURIComponent(p.name)}`}>{p.name}</Link>
                </h2>
                <p className="desc">{p.description || <span className="muted">No description.</span>}</p>
                <Labels labels={p.labels} />
                <dl className="counts">
                  <div>
                    <dt>Artifacts</dt>
                    <dd>{a === undefined ? '…' : formatNumber(a)}</dd>
                  </div>
                  <div>
                    <dt>Models</dt>
                    <dd>
                      {m === undefined ? '…' : <Link to={`/projects/${encodeURIComponent(p.name)}?type=models`}>{formatNumber(m)}</Link>}
                    </dd>
                  </div>
                  <div>
                    <dt>Runs</dt>
                    <dd>
                      {r === undefined ? '…' : <Link to={`/projects/${encodeURIComponent(p.name)}/runs`}>{formatNumber(r.totalCount)}</Link>}
                    </dd>
                  </div>
                </dl>
                <p className="muted small">
                  {last ? (
                    <>
                      Last run <Time iso={last} />
                    </>
                  ) : (
                    'No runs yet'
                  )}
                </p>
              </li>
            );
          })}
        </ul>
      ) : null}
      {counts.error ? <ErrorBox error={counts.error} retry={counts.refetch} title="Could not count the projects' artifacts" /> : null}
    </Layout>
  );
}
