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

/**
 * POSTs one operation to the server and returns its data. Any error in the
 * answer rejects with the first error's message and `extensions.code`, so the
 * UI can show what the server said.
 */
export async function request<T>(
  query: string,
  variables: Record<string, unknown> = {},
  signal?: AbortSignal,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
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
    throw new ApiError(`The server answered ${res.status} ${res.statusText} without GraphQL`, undefined, res.status);
  }
  if (body.errors?.length) {
    const [first] = body.errors;
    const more = body.errors.length > 1 ? ` (and ${body.errors.length - 1} more)` : '';
    throw new ApiError(first.message + more, first.extensions?.code, res.status);
  }
  if (!res.ok || body.data == null) {
    throw new ApiError(`The server answered ${res.status} ${res.statusText}`, undefined, res.status);
  }
  return body.data;
}
