import type { ReactNode } from 'react';
import { useAuth } from '../lib/authContext';
import { Link, useRouter } from '../lib/router';

export interface Crumb {
  label: string;
  to?: string;
}

/** The page frame: skip link, header with breadcrumbs, main landmark. */
export function Layout({ crumbs, children }: { crumbs: Crumb[]; children: ReactNode }) {
  const { location } = useRouter();
  const project = /^\/projects\/([^/]+)/.exec(location.pathname)?.[1];
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Artigraph: all projects">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          <span>Artigraph</span>
        </Link>
        <nav aria-label="Breadcrumb" className="crumbs">
          <ol>
            {crumbs.map((c, i) => (
              <li key={i}>
                {c.to && i < crumbs.length - 1 ? (
                  <Link to={c.to}>{c.label}</Link>
                ) : (
                  <span aria-current={i === crumbs.length - 1 ? 'page' : undefined}>{c.label}</span>
                )}
              </li>
            ))}
          </ol>
        </nav>
        <nav aria-label="Main" className="mainnav">
          {project ? (
            <>
              <Link to={`/projects/${project}`}>Artifacts</Link>
              <Link to={`/projects/${project}/runs`}>Runs</Link>
            </>
          ) : null}
          <a href="/graphiql">GraphiQL</a>
        </nav>
        <ViewerBadge />
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** "Signed in as <name> (<role>)" with a sign-out button, when a token is in use. */
function ViewerBadge() {
  const { viewer, signOut } = useAuth();
  if (!viewer) return null;
  return (
    <div className="viewer-badge">
      <span>
        Signed in as <strong>{viewer.name}</strong> ({viewer.role})
      </span>
      <button type="button" className="btn small" onClick={signOut}>
        Sign out
      </button>
    </div>
  );
}
