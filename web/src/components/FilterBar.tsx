import { useEffect, useId, useState, type FormEvent } from 'react';
import { DEFAULT_TAG, isoToLocalInput, localInputToIso, splitLabels, validLabel, type ListState } from '../lib/filters';
import { formatDate } from '../lib/format';

const PRESETS: [string, number][] = [
  ['24 h', 24],
  ['7 days', 24 * 7],
  ['30 days', 24 * 30],
];

/**
 * The artifact search: key, labels (`k=v` or `k`), time range on last update,
 * tag (`latest` by default: one row per artifact) or every version, owner.
 * Submitting puts it in the URL; active conditions show as removable chips.
 */
export function FilterBar({ value, onChange }: { value: ListState; onChange: (next: Partial<ListState>) => void }) {
  const id = useId();
  const [q, setQ] = useState(value.q);
  const [labels, setLabels] = useState(value.labels.join(' '));
  const [since, setSince] = useState(isoToLocalInput(value.since));
  const [until, setUntil] = useState(isoToLocalInput(value.until));
  const [tag, setTag] = useState(value.allVersions ? '' : value.tag);
  const [all, setAll] = useState(value.allVersions);
  const [owner, setOwner] = useState(value.owner);
  const [problem, setProblem] = useState('');
  // On a phone the time, tag and owner fields fold away unless in use.
  const [more, setMore] = useState(!!(value.since || value.until || value.owner || value.allVersions || value.tag !== DEFAULT_TAG));

  // Follow the URL (back/forward, chips, label clicks in the table).
  useEffect(() => {
    setQ(value.q);
    setLabels(value.labels.join(' '));
    setSince(isoToLocalInput(value.since));
    setUntil(isoToLocalInput(value.until));
    setTag(value.allVersions ? '' : value.tag);
    setAll(value.allVersions);
    setOwner(value.owner);
  }, [value.q, value.labels.join('\n'), value.since, value.until, value.tag, value.allVersions, value.owner]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const conds = splitLabels(labels);
    const bad = conds.find((c) => !validLabel(c));
    if (bad) {
      setProblem(`"${bad}" is not a label condition: write key=value or key.`);
      return;
    }
    const s = localInputToIso(since);
    const u = localInputToIso(until);
    if (s && u && s > u) {
      setProblem('The start of the time range is after its end.');
      return;
    }
    setProblem('');
    onChange({ q: q.trim(), labels: conds, since: s, until: u, tag: all ? '' : tag.trim() || DEFAULT_TAG, allVersions: all, owner: owner.trim(), after: '' });
  };

  const chips: { text: string; remove: Partial<ListState> }[] = [];
  if (value.q) chips.push({ text: `name contains "${value.q}"`, remove: { q: '' } });
  for (const l of value.labels) chips.push({ text: `label ${l}`, remove: { labels: value.labels.filter((x) => x !== l) } });
  if (value.since) chips.push({ text: `since ${formatDate(value.since)}`, remove: { since: '' } });
  if (value.until) chips.push({ text: `until ${formatDate(value.until)}`, remove: { until: '' } });
  if (value.tag && value.tag !== DEFAULT_TAG) chips.push({ text: `tag ${value.tag}`, remove: { tag: DEFAULT_TAG } });
  if (value.owner) chips.push({ text: `owner ${value.owner}`, remove: { owner: '' } });
  if (value.producer) chips.push({ text: `producer ${value.producer}`, remove: { producer: '' } });

  return (
    <form className={more ? 'filters more' : 'filters'} role="search" aria-label="Search artifacts" onSubmit={submit}>
      <div className="filter-grid">
        <label className="field grow">
          <span>Name</span>
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="key contains…" name="q" />
        </label>
        <div className="field grow">
          <label htmlFor={`${id}-labels`}>Labels</label>
          <input
            id={`${id}-labels`}
            type="text"
            value={labels}
            onChange={(e) => setLabels(e.target.value)}
            placeholder="env=prod team"
            name="labels"
            aria-describedby={`${id}-labels-help`}
            autoComplete="off"
            spellCheck={false}
          />
          <small id={`${id}-labels-help`} className="hint">
            key=value or key; all must hold
          </small>
        </div>
        <label className="field adv">
          <span>Updated since</span>
          <input type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} name="since" />
        </label>
        <label className="field adv">
          <span>until</span>
          <input type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} name="until" />
        </label>
        <label className="field narrow adv">
          <span>Tag</span>
          <input type="text" value={all ? '' : tag} disabled={all} onChange={(e) => setTag(e.target.value)} name="tag" placeholder={DEFAULT_TAG} />
        </label>
        <label className="field adv">
          <span>Owner</span>
          <input type="text" value={owner} onChange={(e) => setOwner(e.target.value)} name="owner" placeholder="any" />
        </label>
      </div>
      <div className="filter-actions">
        <button type="button" className="btn small ghost more-toggle" aria-expanded={more} onClick={() => setMore(!more)}>
          {more ? 'Fewer filters' : 'More filters'}
        </button>
        <label className="check adv">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} name="all" /> All versions
        </label>
        <span className="presets adv" role="group" aria-label="Updated in the last">
          <span className="muted small">Last</span>
          {PRESETS.map(([name, hours]) => (
            <button
              key={name}
              type="button"
              className="btn small ghost"
              onClick={() => {
                setSince(isoToLocalInput(new Date(Date.now() - hours * 3600e3).toISOString()));
                setUntil('');
              }}
            >
              {name}
            </button>
          ))}
        </span>
        <span className="spacer" />
        <button type="button" className="btn ghost" onClick={() => onChange({ q: '', labels: [], since: '', until: '', tag: DEFAULT_TAG, allVersions: false, owner: '', producer: '', after: '' })}>
          Clear
        </button>
        <button type="submit" className="btn primary">
          Search
        </button>
      </div>
      {problem ? (
        <p className="field-error" role="alert">
          {problem}
        </p>
      ) : null}
      {chips.length ? (
        <ul className="active-filters" aria-label="Active conditions">
          {chips.map((c) => (
            <li key={c.text}>
              <span className="chip filter">
                {c.text}
                <button type="button" className="chip-x" aria-label={`Remove ${c.text}`} onClick={() => onChange({ ...c.remove, after: '' })}>
                  ×
                </button>
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </form>
  );
}
