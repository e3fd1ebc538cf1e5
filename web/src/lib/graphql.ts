import { authHeaders, getToken, reportUnauthenticated } from './auth';

/** A GraphQL or transport failure, with the server's own message and code. */
export class ApiError extends Error {
  readonly code: string | undefined;
  readonly status: number | undefined;
  constructor(message: string, code?: string, status?: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The server's GraphQL endpoint; tests may point it elsewhere. */
export let endpoint = '/graphql';
export function setEndpoint(url: string) {
  endpoint = url;
}

export interface RequestOptions {
  /** The token to send instead of the stored one (signing in checks a token before keeping it). */
  token?: string | null;
  /** Leave an UNAUTHENTICATED answer to the caller: the token is not forgotten, nobody else hears of it. */
  quiet?: boolean;
}

/**
 * POSTs one operation to the server and returns its data. Any error in the
 * answer rejects with the first error's message and `extensions.code`, so the
 * UI can show what the server said. The stored token, if any, goes along as
 * `Authorization: Bearer <token>`; an UNAUTHENTICATED answer (a 401 for a
 * refused token, or the code for a missing one) is also reported to the
 * sign-in listeners (`onAuthProblem`), and a refused token is forgotten.
 */
export async function request<T>(
  query: string,
  variables: Record<string, unknown> = {},
  signal?: AbortSignal,
  options: RequestOptions = {},
): Promise<T> {
  const token = options.token !== undefined ? options.token : getToken();
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...authHeaders(token) },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(`Cannot reach the Artigraph server (${(err as Error).message})`, 'UNAVAILABLE');
  }
  let body: GraphQLResponse<T>;
  try {
    body = (await res.json()) as GraphQLResponse<T>;
  } catch {
    body = {};
    if (res.status !== 401) {
      throw new ApiError(`The server answered ${res.status} ${res.statusText} without GraphQL`, undefined, res.status);
    }
  }
  if (body.errors?.length) {
    const [first] = body.errors;
    const unauthenticated = body.errors.find((e) => e.extensions?.code === 'UNAUTHENTICATED');
    if (unauthenticated) {
      if (!options.quiet) reportUnauthenticated(unauthenticated.message, res.status, token);
      throw new ApiError(unauthenticated.message, 'UNAUTHENTICATED', res.status);
    }
    const more = body.errors.length > 1 ? ` (and ${body.errors.length - 1} more)` : '';
    throw new ApiError(first.message + more, first.extensions?.code, res.status);
  }
  if (res.status === 401) {
    const message = `The server refused the access token (${res.status} ${res.statusText})`;
    if (!options.quiet) reportUnauthenticated(message, res.status, token);
    throw new ApiError(message, 'UNAUTHENTICATED', res.status);
  }
  if (!res.ok || body.data == null) {
    throw new ApiError(`The server answered ${res.status} ${res.statusText}`, undefined, res.status);
  }
  return body.data;
}
