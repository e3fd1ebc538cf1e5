import { Fragment, useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { clearToken, getToken, normalizeToken, onAuthProblem, setToken, type AuthProblem } from '../lib/auth';
import { AuthContext, useAuth, type Viewer } from '../lib/authContext';
import { request } from '../lib/graphql';
import { usePageTitle } from '../lib/title';
import { Layout } from './Layout';

export const VIEWER_QUERY = `
query Viewer {
  viewer { name role projects }
}`;

/**
 * Keeps track of the token and the caller. Under `--auth none` it does
 * nothing visible: requests go without a token and succeed. When a request
 * answers UNAUTHENTICATED, the sign-in panel takes the place of the page;
 * signing in (or out) loads the page again.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [problem, setProblem] = useState<AuthProblem | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(
    () =>
      onAuthProblem((p) => {
        setProblem(p);
        if (p.kind === 'rejected') setViewer(null);
      }),
    [],
  );

  // A token kept from earlier in this tab's session (a reload): whose is it?
  useEffect(() => {
    if (!getToken()) return;
    const ctl = new AbortController();
    request<{ viewer: Viewer | null }>(VIEWER_QUERY, {}, ctl.signal).then(
      (d) => setViewer(d.viewer),
      () => {
        // A refused token reaches onAuthProblem; other failures show on the page.
      },
    );
    return () => ctl.abort();
  }, []);

  const signIn = useCallback(async (input: string) => {
    const token = normalizeToken(input);
    if (!token) return 'Enter an access token.';
    try {
      const d = await request<{ viewer: Viewer | null }>(VIEWER_QUERY, {}, undefined, { token, quiet: true });
      if (!d.viewer) return 'The server did not recognise this token.';
      setToken(token);
      setViewer(d.viewer);
      setProblem(null);
      setGeneration((g) => g + 1);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }, []);

  const signOut = useCallback(() => {
    clearToken();
    setViewer(null);
    setProblem(null);
    setGeneration((g) => g + 1);
  }, []);

  const value = useMemo(() => ({ viewer, problem, signIn, signOut }), [viewer, problem, signIn, signOut]);
  return (
    <AuthContext.Provider value={value}>
      {problem ? <SignInPage problem={problem} /> : <Fragment key={generation}>{children}</Fragment>}
    </AuthContext.Provider>
  );
}

function SignInPage({ problem }: { problem: AuthProblem }) {
  usePageTitle('Sign in');
  return (
    <Layout crumbs={[{ label: 'Sign in' }]}>
      <SignInPanel problem={problem} />
    </Layout>
  );
}

/** The token form: a password field, a button, what it is for, and why the last attempt failed. */
export function SignInPanel({ problem }: { problem: AuthProblem }) {
  const { signIn } = useAuth();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const message = error ?? (problem.kind === 'rejected' ? problem.message : null);

  async function submit(e: FormEvent) {
    // Never a native submit: the token must not end up in a URL.
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const failed = await signIn(value);
    if (failed !== null) {
      setError(failed);
      setBusy(false);
      input.current?.select();
    }
  }

  return (
    <section className="card signin" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      <p className="signin-why">
        This server requires an access token: paste one an administrator created for you. It is kept for this browser tab only.
      </p>
      {message ? (
        <div className="status error" role="alert">
          <strong>The token was not accepted</strong>
          <p>{message}</p>
        </div>
      ) : null}
      {/* No name on the field and no action: nothing can serialise the token into a URL. */}
      <form className="signin-form" method="post" onSubmit={submit} autoComplete="off">
        <label htmlFor="signin-token">Access token</label>
        <div className="signin-row">
          <input
            ref={input}
            id="signin-token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            autoCapitalize="off"
            placeholder="agt_…"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            required
          />
          <button type="submit" className="btn primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </section>
  );
}
