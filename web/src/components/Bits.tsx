import { useState, type ReactNode } from 'react';
import { FAMILY_COLOURS, KIND_LABEL, kindFamily } from '../lib/kinds';
import { formatDate, labelText, timeAgo } from '../lib/format';
import type { ArtifactKind, Label, RunState } from '../lib/types';

export function KindBadge({ kind }: { kind: ArtifactKind }) {
  const c = FAMILY_COLOURS[kindFamily(kind)];
  return (
    <span className="badge kind" style={{ background: c.bg, color: c.fg }} title={kind}>
      {KIND_LABEL[kind]}
    </span>
  );
}

export function StateBadge({ state }: { state: RunState }) {
  return <span className={`badge state state-${state.toLowerCase()}`}>{state.toLowerCase()}</span>;
}

/** Labels as chips; with onPick, each is a button that adds it to the search. */
export function Labels({ labels, onPick }: { labels: Label[]; onPick?: (cond: string) => void }) {
  if (!labels.length) return <span className="muted">—</span>;
  return (
    <ul className="chips" aria-label="Labels">
      {labels.map((l) => (
        <li key={labelText(l)}>
          {onPick ? (
            <button type="button" className="chip label" onClick={() => onPick(labelText(l))} title={`Filter by ${labelText(l)}`}>
              {labelText(l)}
            </button>
          ) : (
            <span className="chip label">{labelText(l)}</span>
          )}
        </li>
      ))}
    </ul>
  );
}

export function Tags({ tags }: { tags: string[] }) {
  if (!tags.length) return <span className="muted">—</span>;
  return (
    <ul className="chips" aria-label="Tags">
      {tags.map((t) => (
        <li key={t}>
          <span className={`chip tag${t === 'latest' ? ' latest' : ''}`}>{t}</span>
        </li>
      ))}
    </ul>
  );
}

/** A relative time, the exact one on hover and for assistive tech. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={formatDate(iso)}>
      {timeAgo(iso)}
    </time>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="btn small ghost"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => {
          setDone(true);
          setTimeout(() => setDone(false), 1500);
        });
      }}
      aria-label={`${label}: ${text}`}
    >
      {done ? 'Copied' : label}
    </button>
  );
}

export function Section({ title, id, actions, children }: { title: string; id?: string; actions?: ReactNode; children: ReactNode }) {
  const hid = id ? `${id}-title` : undefined;
  return (
    <section className="card" id={id} aria-labelledby={hid}>
      <div className="card-head">
        <h2 id={hid}>{title}</h2>
        {actions ? <div className="card-actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

/** A definition list of facts; rows with undefined values are left out. */
export function Facts({ rows, tiles = false }: { rows: [string, ReactNode | undefined][]; tiles?: boolean }) {
  return (
    <dl className={tiles ? 'facts tiles' : 'facts'}>
      {rows
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => (
          <div key={k} className="fact">
            <dt>{k}</dt>
            <dd>{v === null || v === '' ? <span className="muted">—</span> : v}</dd>
          </div>
        ))}
    </dl>
  );
}
