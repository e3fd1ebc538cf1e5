import { formatCell, isObject } from '../lib/format';
import type { Json } from '../lib/types';

export function JsonBlock({ value, label }: { value: Json; label?: string }) {
  return (
    <pre className="json" tabIndex={0} aria-label={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** A flat object as a two-column table (metrics, parameters); other JSON as a block. */
export function KeyValues({ value, caption, keyHead = 'Name', valueHead = 'Value' }: { value: Json; caption: string; keyHead?: string; valueHead?: string }) {
  if (!isObject(value)) return value == null ? null : <JsonBlock value={value} label={caption} />;
  const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return <p className="muted">None.</p>;
  return (
    <div className="table-wrap">
      <table className="table kv">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{keyHead}</th>
            <th scope="col">{valueHead}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td className={typeof v === 'number' ? 'num' : undefined}>{formatCell(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A dataset's first rows under its header. */
export function PreviewTable({ header, rows, caption }: { header: string[] | null; rows: Json[][]; caption: string }) {
  const width = Math.max(header?.length ?? 0, ...rows.map((r) => r.length));
  const cols = Array.from({ length: width }, (_, i) => header?.[i] ?? `#${i + 1}`);
  const numeric = cols.map((_, j) => rows.length > 0 && rows.every((r) => r[j] == null || typeof r[j] === 'number'));
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table className="table preview">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {cols.map((c, i) => (
              <th key={i} scope="col" className={numeric[i] ? 'num' : undefined}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {cols.map((_, j) => (
                <td key={j} className={numeric[j] ? 'num' : undefined}>
                  {formatCell(r[j])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** pandas' describe() order: count, unique…, mean, std, min, quartiles, max. */
const STAT_ORDER = ['count', 'unique', 'top', 'freq', 'mean', 'std', 'min', '25%', '50%', '75%', 'max'];
function statRank(name: string): number {
  const i = STAT_ORDER.indexOf(name);
  return i < 0 ? STAT_ORDER.length : i;
}

/**
 * Per-column statistics. `{col: {stat: v}}` (pandas describe().to_dict())
 * becomes a table of columns by statistics; anything else is shown as JSON.
 */
export function StatsTable({ stats }: { stats: Json }) {
  if (!isObject(stats) || !Object.values(stats).every(isObject)) return <JsonBlock value={stats} label="Statistics" />;
  const columns = Object.keys(stats);
  const names: string[] = [];
  for (const c of columns) for (const k of Object.keys(stats[c] as object)) if (!names.includes(k)) names.push(k);
  names.sort((a, b) => statRank(a) - statRank(b) || a.localeCompare(b));
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Statistics">
      <table className="table stats">
        <caption className="sr-only">Per-column statistics</caption>
        <thead>
          <tr>
            <th scope="col">Column</th>
            {names.map((n) => (
              <th key={n} scope="col" className="num">
                {n}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {columns.map((c) => (
            <tr key={c}>
              <th scope="row">{c}</th>
              {names.map((n) => (
                <td key={n} className="num">
                  {formatCell((stats[c] as Record<string, Json>)[n])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A schema: a Table Schema (`{fields: [{name, type, description}]}`) or a
 * list of such fields as a table, anything else as JSON.
 */
export function SchemaView({ schema }: { schema: Json }) {
  const fields = isObject(schema) && Array.isArray(schema.fields) ? schema.fields : Array.isArray(schema) ? schema : null;
  if (!fields || !fields.every((f) => isObject(f) && typeof f.name === 'string')) return <JsonBlock value={schema} label="Schema" />;
  const rest = isObject(schema) ? Object.fromEntries(Object.entries(schema).filter(([k]) => k !== 'fields')) : {};
  return (
    <>
      <div className="table-wrap">
        <table className="table schema">
          <caption className="sr-only">Schema fields</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Type</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {(fields as Record<string, Json>[]).map((f) => (
              <tr key={String(f.name)}>
                <th scope="row">
                  <code>{String(f.name)}</code>
                </th>
                <td>{formatCell(f.type ?? null)}</td>
                <td>{formatCell(f.description ?? null)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {Object.keys(rest).length ? (
        <p className="muted small">
          {Object.entries(rest)
            .map(([k, v]) => `${k}: ${formatCell(v)}`)
            .join(' · ')}
        </p>
      ) : null}
    </>
  );
}
