import { Link } from '../lib/router';
import { artifactPath, runPath } from '../lib/kinds';
import { formatBytes, formatNumber, isObject } from '../lib/format';
import type { VersionSummary } from '../lib/types';
import { KindBadge, Labels, Tags, Time } from './Bits';

/** The metrics a model's one-liner prefers, best first. */
const HEADLINE_METRICS = [/^(roc_)?auc$/i, /auc/i, /^f1/i, /accuracy/i, /^r2$/i, /rmse/i, /mae/i, /loss/i];

/** The type-specific one-liner: a model's framework and first metric, a dataset's shape. */
export function typeSummary(v: VersionSummary): string {
  if (v.model) {
    const parts = [v.model.framework, v.model.algorithm].filter(Boolean) as string[];
    if (isObject(v.model.metrics)) {
      const entries = Object.entries(v.model.metrics).filter(([, x]) => typeof x === 'number');
      const rank = (k: string) => {
        const i = HEADLINE_METRICS.findIndex((re) => re.test(k));
        return i < 0 ? HEADLINE_METRICS.length : i;
      };
      const pick = [...entries].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))[0];
      if (pick) parts.push(`${pick[0]} ${formatNumber(pick[1] as number)}`);
    }
    return parts.join(' · ');
  }
  if (v.dataset) {
    const rows = v.dataset.length != null ? `${formatNumber(v.dataset.length)} rows` : '';
    const cols = v.dataset.header?.length ? `${v.dataset.header.length} columns` : '';
    return [rows, cols].filter(Boolean).join(' × ');
  }
  return v.format ? v.format.toUpperCase() : '';
}

export function Producer({ v }: { v: Pick<VersionSummary, 'producer' | 'project'> }) {
  const p = v.producer;
  if (!p) return <span className="muted">—</span>;
  if (p.kind === 'run' && p.uri) {
    const [project, uid] = p.uri.split('/');
    return (
      <Link to={runPath(project, uid)} title={`run ${p.uri}`}>
        {p.name}
      </Link>
    );
  }
  return <span title={`logged outside a run, in project ${p.name}`}>project</span>;
}

/**
 * Artifact versions as a table: key, type, tags, labels, producer, owner,
 * last update, size and location. Clicking a label adds it to the search.
 */
export function ArtifactTable({
  items,
  caption,
  onPickLabel,
  compact = false,
}: {
  items: VersionSummary[];
  caption: string;
  onPickLabel?: (cond: string) => void;
  compact?: boolean;
}) {
  return (
    <div className="table-wrap" role="region" aria-label={caption} tabIndex={0}>
      <table className="table artifacts stack">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Tags</th>
            <th scope="col">Labels</th>
            <th scope="col">Details</th>
            <th scope="col">Producer</th>
            {compact ? null : <th scope="col">Owner</th>}
            <th scope="col">Updated</th>
            {compact ? null : <th scope="col" className="num">Size</th>}
            {compact ? null : <th scope="col">Location</th>}
          </tr>
        </thead>
        <tbody>
          {items.map((v) => (
            <tr key={v.uid}>
              <th scope="row" className="name">
                <Link to={artifactPath(v)}>{v.key}</Link>
                {v.iteration ? <span className="muted small"> #{v.iteration}</span> : null}
                <div className="uid muted small" title={v.uri}>
                  {v.uid.slice(0, 8)}
                </div>
              </th>
              <td data-label="Type">
                <KindBadge kind={v.kind} />
              </td>
              <td data-label="Tags">
                <Tags tags={v.tags} />
              </td>
              <td data-label="Labels">
                <Labels labels={v.labels} onPick={onPickLabel} />
              </td>
              <td className="small" data-label="Details">{typeSummary(v) || <span className="muted">—</span>}</td>
              <td data-label="Producer">
                <Producer v={v} />
              </td>
              {compact ? null : <td data-label="Owner">{v.owner?.name ?? v.producer?.owner ?? <span className="muted">—</span>}</td>}
              <td data-label="Updated" className="nowrap">
                <Time iso={v.updatedAt} />
              </td>
              {compact ? null : <td className="num" data-label="Size">{formatBytes(v.size)}</td>}
              {compact ? null : (
                <td className="path" title={v.targetPath} data-label="Location">
                  {v.targetPath}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
