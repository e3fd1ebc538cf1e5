import { useEffect, useRef } from 'react';
import { AuthProvider } from './components/Auth';
import { Layout } from './components/Layout';
import { NotFound } from './components/Status';
import { STORE_PREFIXES, storeUri } from './lib/kinds';
import { Link, matchPath, Router, useRouter } from './lib/router';
import { ArtifactPage } from './pages/ArtifactPage';
import { LineagePage } from './pages/LineagePage';
import { ProjectPage, RunsPage } from './pages/ProjectPage';
import { ProjectsPage } from './pages/ProjectsPage';
import { RunPage } from './pages/RunPage';

/** Which page a path shows. */
export function Routes() {
  const { location } = useRouter();
  const path = location.pathname;
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <ProjectsPage />;
  if ((m = matchPath('/projects/:project', path))) return <ProjectPage project={m.project} />;
  if ((m = matchPath('/projects/:project/runs', path))) return <RunsPage project={m.project} />;
  if ((m = matchPath('/projects/:project/runs/:uid', path))) return <RunPage project={m.project} uid={m.uid} />;
  if ((m = matchPath('/projects/:project/lineage', path))) return <LineagePage project={m.project} />;
  if ((m = matchPath('/projects/:project/:prefix/:key', path)) && STORE_PREFIXES.includes(m.prefix)) {
    // One page per version: a new URI starts from a blank page, not the last version's.
    const uri = storeUri(m.prefix, m.project, m.key, new URLSearchParams(location.search));
    return <ArtifactPage key={uri} project={m.project} prefix={m.prefix} artifactKey={m.key} />;
  }
  return (
    <Layout crumbs={[{ label: 'Not found' }]}>
      <NotFound what="Page">
        There is no page at <code>{path}</code>. <Link to="/">See all projects</Link>
      </NotFound>
    </Layout>
  );
}

/** Moves focus to the new page's content when the path changes (not on filter changes). */
function FocusOnNavigate() {
  const { location } = useRouter();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [location.pathname]);
  return null;
}

export function App() {
  return (
    <Router>
      <FocusOnNavigate />
      <AuthProvider>
        <Routes />
      </AuthProvider>
    </Router>
  );
}
