/**
 * The access token the artifact browser sends under `--auth token`: where it
 * is kept, how it travels, and who hears when the server turns a request down.
 *
 * The token is kept in sessionStorage, not localStorage: a bearer token is a
 * password, and sessionStorage is dropped when the tab (or the browser) closes,
 * so a token left behind on a shared machine does not outlive the session that
 * typed it, and it is never shared with other tabs. It survives a reload of the
 * same tab, which is all the UI needs. It is never logged and never put in a
 * URL: it travels only in the `Authorization` header of GraphQL requests (and,
 * for a websocket, in the `connection_init` payload).
 */

/** The sessionStorage key holding the token. */
export const TOKEN_KEY = 'artigraph.token';

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the token lasts as long as the page
  }
}

// Where the token lives when sessionStorage cannot be used (disabled, full):
// this page only.
let memoryToken: string | null = null;
let inMemory = false;

/** The token this tab signed in with, or null. */
export function getToken(): string | null {
  const s = storage();
  if (!s || inMemory) return memoryToken;
  try {
    return s.getItem(TOKEN_KEY) || null;
  } catch {
    return memoryToken;
  }
}

/** Keeps a token for this tab's session (blank: forgets it). */
export function setToken(token: string): void {
  const t = normalizeToken(token);
  if (!t) {
    clearToken();
    return;
  }
  memoryToken = t;
  try {
    const s = storage();
    if (!s) throw new Error('no sessionStorage');
    s.setItem(TOKEN_KEY, t);
    inMemory = false;
  } catch {
    inMemory = true; // keep it for this page only
  }
}

/** Forgets the token. */
export function clearToken(): void {
  memoryToken = null;
  inMemory = false;
  try {
    storage()?.removeItem(TOKEN_KEY);
  } catch {
    // nothing kept
  }
}

/**
 * A token as typed or pasted: surrounding blanks dropped, and a leading
 * "Bearer " too (people paste the whole header value).
 */
export function normalizeToken(input: string): string {
  return input.trim().replace(/^Bearer\s+/i, '').trim();
}

/** The headers that carry a token: `Authorization: Bearer <token>`, or none without one. */
export function authHeaders(token: string | null = getToken()): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** The graphql-transport-ws `connection_init` payload that carries a token. */
export function connectionInitPayload(token: string | null = getToken()): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/**
 * Why the server turned a request down:
 *  - `required`: no token was sent and the server needs one (`--auth token`);
 *  - `rejected`: the token sent is unknown, revoked or expired (HTTP 401); it
 *    has been forgotten.
 * `message` is the server's own.
 */
export interface AuthProblem {
  kind: 'required' | 'rejected';
  message: string;
}

type Listener = (p: AuthProblem) => void;
const listeners = new Set<Listener>();

/** Calls `listener` whenever a request is turned down for want of a valid token; returns an unsubscribe. */
export function onAuthProblem(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/**
 * Handles an UNAUTHENTICATED answer to a request sent with `sentToken`: a 401
 * means the token itself was refused, so it is forgotten; then every listener
 * hears of it. An answer for a token other than the one kept now is stale and
 * changes nothing.
 */
export function reportUnauthenticated(message: string, status: number | undefined, sentToken: string | null): AuthProblem {
  const rejected = status === 401 && sentToken != null;
  const problem: AuthProblem = { kind: rejected ? 'rejected' : 'required', message };
  // An answer to a request made before a sign-in or sign-out says nothing
  // about the token now kept.
  if (getToken() !== sentToken) return problem;
  if (rejected) clearToken();
  for (const l of [...listeners]) l(problem);
  return problem;
}

/**
 * Saves a same-origin file that needs the token (a link cannot send a
 * header): fetches it with `Authorization`, then hands the browser a blob.
 * The token never goes to another origin.
 */
export async function saveWithToken(url: string, filename: string, token: string | null = getToken()): Promise<void> {
  const target = new URL(url, window.location.href);
  if (target.origin !== window.location.origin) throw new Error('Only this server’s files are fetched with the access token');
  const res = await fetch(target.href, { headers: authHeaders(token) });
  if (res.status === 401) {
    const message = 'The server refused the access token';
    reportUnauthenticated(message, res.status, token);
    throw new Error(message);
  }
  if (!res.ok) throw new Error(`The server answered ${res.status} ${res.statusText}`);
  const blobUrl = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = blobUrl;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(blobUrl), 60_000);
}
