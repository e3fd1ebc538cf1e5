import type { ReactNode } from 'react';
import type { ApiError } from '../lib/graphql';

/** A polite loading line (announced by screen readers). */
export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="status loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {what}…
    </div>
  );
}

/** The server's error message and code, with a retry button. */
export function ErrorBox({ error, retry, title = 'Something went wrong' }: { error: Error; retry?: () => void; title?: string }) {
  const code = (error as ApiError).code;
  return (
    <div className="status error" role="alert">
      <strong>{title}</strong>
      <p>
        {error.message}
        {code ? <code className="error-code">{code}</code> : null}
      </p>
      {retry ? (
        <button type="button" className="btn" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="status empty">{children}</div>;
}

export function NotFound({ what, children }: { what: string; children?: ReactNode }) {
  return (
    <div className="status notfound" role="alert">
      <strong>{what} not found</strong>
      {children ? <p>{children}</p> : null}
    </div>
  );
}
