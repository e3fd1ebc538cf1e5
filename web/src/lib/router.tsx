import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useState,
  type AnchorHTMLAttributes,
  type MouseEvent,
  type ReactNode,
} from 'react';

/**
 * A small history-API router: the path says which page, the query string
 * holds the page's state (filters, cursor, lineage direction), so every view
 * is a URL that can be shared.
 */
export interface Location {
  pathname: string;
  search: string;
  state: unknown;
}

interface RouterValue {
  location: Location;
  navigate: (to: string, opts?: { replace?: boolean; state?: unknown }) => void;
}

const RouterContext = createContext<RouterValue | null>(null);

function current(): Location {
  return { pathname: window.location.pathname, search: window.location.search, state: window.history.state };
}

export function Router({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState<Location>(current);
  useEffect(() => {
    const onPop = () => setLocation(current());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string, opts: { replace?: boolean; state?: unknown } = {}) => {
    const url = new URL(to, window.location.href);
    const same = url.pathname === window.location.pathname && url.search === window.location.search;
    if (opts.replace || same) window.history.replaceState(opts.state ?? null, '', url);
    else window.history.pushState(opts.state ?? null, '', url);
    setLocation(current());
    if (!same && !opts.replace) window.scrollTo?.(0, 0);
  }, []);
  return <RouterContext.Provider value={{ location, navigate }}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterValue {
  const r = useContext(RouterContext);
  if (!r) throw new Error('useRouter outside <Router>');
  return r;
}

export function useSearchParams(): URLSearchParams {
  return new URLSearchParams(useRouter().location.search);
}

/** Matches a pattern like `/projects/:project/runs/:uid`; decoded params or null. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const ps = pattern.split('/').filter(Boolean);
  const xs = pathname.replace(/\/+$/, '').split('/').filter(Boolean);
  if (ps.length !== xs.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    if (ps[i].startsWith(':')) {
      try {
        params[ps[i].slice(1)] = decodeURIComponent(xs[i]);
      } catch {
        return null;
      }
    } else if (ps[i] !== xs[i]) return null;
  }
  return params;
}

/** Builds a path with a query string, dropping empty values. */
export function href(path: string, query: Record<string, string | number | boolean | undefined | null | string[]> = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (Array.isArray(v)) v.forEach((x) => x !== '' && q.append(k, x));
    else if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; replace?: boolean; state?: unknown };

/** An anchor that navigates in-app on a plain left click. */
export function Link({ to, replace, state, onClick, children, ...rest }: LinkProps) {
  const { navigate } = useRouter();
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (rest.target && rest.target !== '_self') return;
    e.preventDefault();
    navigate(to, { replace, state });
  };
  return (
    <a href={to} onClick={handle} {...rest}>
      {children}
    </a>
  );
}
