import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { authHeaders, clearToken, connectionInitPayload, getToken, normalizeToken, onAuthProblem, setToken, TOKEN_KEY } from './auth';
import { ApiError, request } from './graphql';

function answer(body: unknown, status = 200) {
  return vi.fn(async (_url: string, _init?: RequestInit) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
}
const headersOf = (f: ReturnType<typeof answer>, i = 0) => new Headers((f.mock.calls[i][1] as RequestInit).headers);

beforeEach(() => {
  clearToken();
  window.sessionStorage.clear();
  window.localStorage.clear();
});
afterEach(() => vi.unstubAllGlobals());

describe('token storage', () => {
  it('keeps the token in sessionStorage, never in localStorage', () => {
    expect(getToken()).toBeNull();
    setToken('agt_a_secret');
    expect(getToken()).toBe('agt_a_secret');
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBe('agt_a_secret');
    expect(window.localStorage.length).toBe(0);
    clearToken();
    expect(getToken()).toBeNull();
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  it('trims what was pasted, a "Bearer " prefix too, and forgets a blank token', () => {
    expect(normalizeToken('  Bearer agt_a_b \n')).toBe('agt_a_b');
    setToken(' agt_x_y\n');
    expect(getToken()).toBe('agt_x_y');
    setToken('   ');
    expect(getToken()).toBeNull();
  });

  it('builds the Authorization header and the websocket connection_init payload', () => {
    expect(authHeaders(null)).toEqual({});
    expect(authHeaders('agt_a_b')).toEqual({ Authorization: 'Bearer agt_a_b' });
    setToken('agt_s_t');
    expect(authHeaders()).toEqual({ Authorization: 'Bearer agt_s_t' });
    expect(connectionInitPayload()).toEqual({ Authorization: 'Bearer agt_s_t' });
    clearToken();
    expect(connectionInitPayload()).toEqual({});
  });
});

describe('request with a token', () => {
  it('sends no Authorization header without a token (--auth none is unchanged)', async () => {
    const f = answer({ data: { projects: [] } });
    vi.stubGlobal('fetch', f);
    await request('{ projects { name } }');
    expect(headersOf(f).has('Authorization')).toBe(false);
  });

  it('sends the stored token as a Bearer header, and never in the URL or body', async () => {
    setToken('agt_id_s3cret');
    const f = answer({ data: { projects: [] } });
    vi.stubGlobal('fetch', f);
    await request('{ projects { name } }', { a: 1 });
    expect(headersOf(f).get('Authorization')).toBe('Bearer agt_id_s3cret');
    expect(String(f.mock.calls[0][0])).not.toContain('s3cret');
    expect(String((f.mock.calls[0][1] as RequestInit).body)).not.toContain('s3cret');
  });

  it('sends an explicit token instead of the stored one', async () => {
    setToken('agt_old_1');
    const f = answer({ data: { viewer: null } });
    vi.stubGlobal('fetch', f);
    await request('{ viewer { name } }', {}, undefined, { token: 'agt_new_2' });
    expect(headersOf(f).get('Authorization')).toBe('Bearer agt_new_2');
  });

  it('reports a missing token (UNAUTHENTICATED per field) without forgetting anything', async () => {
    const heard = vi.fn();
    const off = onAuthProblem(heard);
    vi.stubGlobal(
      'fetch',
      answer({ data: null, errors: [{ message: 'a token is required: send Authorization: Bearer <token>', path: ['projects'], extensions: { code: 'UNAUTHENTICATED' } }] }),
    );
    const err = (await request('{ projects { name } }').catch((e) => e)) as ApiError;
    off();
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(heard).toHaveBeenCalledWith({ kind: 'required', message: 'a token is required: send Authorization: Bearer <token>' });
  });

  it('forgets a token the server refuses (401) and reports its message', async () => {
    setToken('agt_bad_token');
    const heard = vi.fn();
    const off = onAuthProblem(heard);
    vi.stubGlobal('fetch', answer({ errors: [{ message: 'the token is unknown, revoked or expired', extensions: { code: 'UNAUTHENTICATED' } }] }, 401));
    const err = (await request('{ projects { name } }').catch((e) => e)) as ApiError;
    off();
    expect(err.status).toBe(401);
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(getToken()).toBeNull();
    expect(heard).toHaveBeenCalledWith({ kind: 'rejected', message: 'the token is unknown, revoked or expired' });
  });

  it('treats a 401 without a GraphQL body as a refused token', async () => {
    setToken('agt_bad_token');
    vi.stubGlobal('fetch', vi.fn(async () => new Response('unauthorized', { status: 401 })));
    const err = (await request('{ x }').catch((e) => e)) as ApiError;
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(getToken()).toBeNull();
  });

  it('leaves a quiet request’s refusal to its caller', async () => {
    setToken('agt_kept_1');
    const heard = vi.fn();
    const off = onAuthProblem(heard);
    vi.stubGlobal('fetch', answer({ errors: [{ message: 'the token is unknown, revoked or expired', extensions: { code: 'UNAUTHENTICATED' } }] }, 401));
    await request('{ viewer { name } }', {}, undefined, { token: 'agt_wrong_2', quiet: true }).catch(() => {});
    off();
    expect(heard).not.toHaveBeenCalled();
    expect(getToken()).toBe('agt_kept_1');
  });

  it('ignores a refusal of a token no longer kept (an answer from before a sign-in)', async () => {
    const heard = vi.fn();
    const off = onAuthProblem(heard);
    let resolve!: (r: Response) => void;
    vi.stubGlobal('fetch', vi.fn(() => new Promise<Response>((r) => (resolve = r))));
    setToken('agt_old_1');
    const pending = request('{ x }').catch(() => {});
    setToken('agt_new_2');
    resolve(new Response(JSON.stringify({ errors: [{ message: 'refused', extensions: { code: 'UNAUTHENTICATED' } }] }), { status: 401 }));
    await pending;
    off();
    expect(heard).not.toHaveBeenCalled();
    expect(getToken()).toBe('agt_new_2');
  });

  it('never logs the token', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
    setToken('agt_id_n0tlogged');
    vi.stubGlobal('fetch', answer({ errors: [{ message: 'the token is unknown, revoked or expired', extensions: { code: 'UNAUTHENTICATED' } }] }, 401));
    await request('{ x }').catch(() => {});
    for (const s of spies) for (const call of s.mock.calls) expect(JSON.stringify(call)).not.toContain('n0tlogged');
  });
});
