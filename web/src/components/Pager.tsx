import { formatNumber } from '../lib/format';

/**
 * Cursor paging: "Next" follows the page's end cursor; "Previous" goes back
 * through the cursors this tab has seen, or to the first page for a shared
 * link that starts mid-list.
 */
export function Pager({
  shown,
  total,
  offset,
  hasNext,
  hasPrev,
  onNext,
  onPrev,
  onFirst,
  noun = 'items',
}: {
  shown: number;
  total: number;
  offset: number | null;
  hasNext: boolean;
  hasPrev: boolean;
  onNext: () => void;
  onPrev: () => void;
  onFirst: () => void;
  noun?: string;
}) {
  const range =
    offset !== null && shown > 0
      ? `${formatNumber(offset + 1)}–${formatNumber(offset + shown)} of ${formatNumber(total)} ${noun}`
      : `${formatNumber(shown)} shown of ${formatNumber(total)} ${noun}`;
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted" aria-live="polite">
        {range}
      </span>
      <span className="pager-buttons">
        {hasPrev ? (
          <button type="button" className="btn" onClick={onPrev}>
            ← Previous
          </button>
        ) : offset === null ? (
          <button type="button" className="btn" onClick={onFirst}>
            ⇤ First page
          </button>
        ) : null}
        <button type="button" className="btn" onClick={onNext} disabled={!hasNext}>
          Next →
        </button>
      </span>
    </nav>
  );
}
