import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, request } from './graphql';

export interface QueryState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  refetch: () => void;
}

/**
 * Runs a query when it or its variables change (compared as JSON), cancelling
 * the previous request; keeps the last data while the next loads.
 * `skip` leaves it idle.
 */
export function useQuery<T>(query: string, variables: Record<string, unknown>, skip = false): QueryState<T> {
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean; key?: string }>({
    loading: !skip,
  });
  const [nonce, setNonce] = useState(0);
  const vars = useRef(variables);
  vars.current = variables;

  useEffect(() => {
    if (skip) {
      setState({ loading: false });
      return;
    }
    const ctl = new AbortController();
    setState((s) => ({ data: s.data, loading: true, key }));
    request<T>(query, vars.current, ctl.signal).then(
      (data) => setState({ data, loading: false, key }),
      (err: Error) => {
        if (ctl.signal.aborted) return;
        const error = err instanceof ApiError ? err : new ApiError(err.message);
        setState({ error, loading: false, key });
      },
    );
    return () => ctl.abort();
  }, [query, key, skip, nonce]);

  const refetch = useCallback(() => setNonce((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, refetch };
}

/** Like useQuery, for any request function of an abort signal; re-runs when `key` changes. */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, key: string, skip = false): QueryState<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: !skip });
  const [nonce, setNonce] = useState(0);
  const f = useRef(fn);
  f.current = fn;
  useEffect(() => {
    if (skip) return;
    const ctl = new AbortController();
    setState((s) => ({ data: s.data, loading: true }));
    f.current(ctl.signal).then(
      (data) => setState({ data, loading: false }),
      (err: Error) => {
        if (ctl.signal.aborted) return;
        setState({ error: err instanceof ApiError ? err : new ApiError(err.message), loading: false });
      },
    );
    return () => ctl.abort();
  }, [key, skip, nonce]);
  const refetch = useCallback(() => setNonce((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, refetch };
}
