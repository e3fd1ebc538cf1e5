import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { clearToken, getToken, setToken } from '../lib/auth';

const GOOD = 'agt_ui_g00d';
const project = { name: 'fraud', description: null, artifactPath: null, labels: [], createdAt: '2025-01-01T00:00:00Z' };

/** A server under --auth token: GOOD is a VIEWER token, any other is refused, none is UNAUTHENTICATED per field. */
function tokenServer() {
  const f = vi.fn(async (_url: string, init?: RequestInit) => {
    const auth = new Headers(init?.headers).get('Authorization');
    const { query } = JSON.parse(String(init?.body)) as { query: string };
    const op = /query\s+(\w+)/.exec(query)?.[1] ?? '';
    if (auth && auth !== `Bearer ${GOOD}`) {
      return new Response(JSON.stringify({ errors: [{ message: 'the token is unknown, revoked or expired', extensions: { code: 'UNAUTHENTICATED' } }] }), { status: 401 });
    }
    if (!auth) {
      return new Response(JSON.stringify({ data: null, errors: [{ message: 'a token is required', extensions: { code: 'UNAUTHENTICATED' } }] }));
    }
    const data =
      op === 'Viewer'
        ? { viewer: { name: 'ui', role: 'VIEWER', projects: [] } }
        : op === 'Projects'
          ? { projects: [project] }
          : op === 'ProjectCounts'
            ? { a0: { totalCount: 1 }, m0: { totalCount: 0 }, r0: { totalCount: 0, edges: [] } }
            : null;
    return new Response(JSON.stringify(data ? { data } : { data: null, errors: [{ message: `no stub for ${op}` }] }));
  });
  vi.stubGlobal('fetch', f);
  return f;
}

beforeEach(() => {
  clearToken();
  window.history.replaceState(null, '', '/');
});
afterEach(() => vi.unstubAllGlobals());

describe('signing in', () => {
  it('shows the sign-in panel when the server needs a token, then the page once signed in', async () => {
    tokenServer();
    render(<App />);
    const field = await screen.findByLabelText('Access token');
    expect(field.getAttribute('type')).toBe('password');
    expect(field.getAttribute('name')).toBeNull();
    expect(screen.getByText(/This server requires an access token/)).toBeTruthy();
    // The title follows the page in an effect, after the panel shows.
    await waitFor(() => expect(document.title).toBe('Sign in · Artigraph'));

    await userEvent.type(field, GOOD);
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('link', { name: 'fraud' })).toBeTruthy();
    expect(screen.getByText(/Signed in as/).textContent).toBe('Signed in as ui (VIEWER)');
    expect(getToken()).toBe(GOOD);
    expect(window.location.href).not.toContain(GOOD);

    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByLabelText('Access token')).toBeTruthy();
    expect(getToken()).toBeNull();
  });

  it("keeps a refused token out and shows the server's message", async () => {
    tokenServer();
    render(<App />);
    await userEvent.type(await screen.findByLabelText('Access token'), 'agt_wrong_1');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('the token is unknown, revoked or expired');
    expect(getToken()).toBeNull();
    expect(screen.getByLabelText('Access token')).toBeTruthy();
  });

  it('forgets a kept token the server refuses, and asks again', async () => {
    tokenServer();
    setToken('agt_revoked_1');
    render(<App />);
    expect((await screen.findByRole('alert')).textContent).toContain('the token is unknown, revoked or expired');
    expect(screen.getByLabelText('Access token')).toBeTruthy();
    expect(getToken()).toBeNull();
  });

  it('shows who is signed in after a reload with a kept token', async () => {
    tokenServer();
    setToken(GOOD);
    render(<App />);
    expect(await screen.findByRole('link', { name: 'fraud' })).toBeTruthy();
    await waitFor(() => expect(screen.getByText(/Signed in as/).textContent).toBe('Signed in as ui (VIEWER)'));
  });

  it('changes nothing under --auth none: no panel, no badge, no Viewer request', async () => {
    const f = vi.fn(async (_url: string, init?: RequestInit) => {
      const { query } = JSON.parse(String(init?.body)) as { query: string };
      const op = /query\s+(\w+)/.exec(query)?.[1] ?? '';
      const data = op === 'Projects' ? { projects: [project] } : { a0: { totalCount: 1 }, m0: { totalCount: 0 }, r0: { totalCount: 0, edges: [] } };
      return new Response(JSON.stringify({ data }));
    });
    vi.stubGlobal('fetch', f);
    render(<App />);
    expect(await screen.findByRole('link', { name: 'fraud' })).toBeTruthy();
    expect(screen.queryByLabelText('Access token')).toBeNull();
    expect(screen.queryByText(/Signed in as/)).toBeNull();
    for (const [, init] of f.mock.calls) {
      expect(new Headers(init?.headers).has('Authorization')).toBe(false);
      expect(String(init?.body)).not.toContain('query Viewer');
    }
  });
});
