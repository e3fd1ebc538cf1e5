import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, request } from './graphql';

function answer(body: unknown, status = 200) {
  return vi.fn(async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
}

afterEach(() => vi.unstubAllGlobals());

describe('request', () => {
  it('posts the operation and returns its data', async () => {
    const f = answer({ data: { projects: [] } });
    vi.stubGlobal('fetch', f);
    await expect(request('{ projects { name } }', { a: 1 })).resolves.toEqual({ projects: [] });
    const [url, init] = f.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/graphql');
    expect(JSON.parse(init.body as string)).toEqual({ query: '{ projects { name } }', variables: { a: 1 } });
  });

  it("rejects with the server's message and code", async () => {
    vi.stubGlobal('fetch', answer({ data: null, errors: [{ message: 'project "x" does not exist', extensions: { code: 'NOT_FOUND' } }] }));
    const err = (await request('{ x }').catch((e) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe('project "x" does not exist');
    expect(err.code).toBe('NOT_FOUND');
  });

  it('says when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    const err = (await request('{ x }').catch((e) => e)) as ApiError;
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/Cannot reach/);
  });

  it('reports an answer that is not GraphQL', async () => {
    vi.stubGlobal('fetch', answer('<html>bad gateway</html>', 502));
    const err = (await request('{ x }').catch((e) => e)) as ApiError;
    expect(err.status).toBe(502);
  });
});
