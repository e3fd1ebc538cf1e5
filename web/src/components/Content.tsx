import { useEffect, useState } from 'react';
import type { ArtifactKind } from '../lib/types';

const IMAGE = new Set(['svg', 'png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'ico']);
const HTML = new Set(['html', 'htm']);
const TEXT = new Set(['txt', 'csv', 'tsv', 'json', 'yaml', 'yml', 'md', 'log', 'py', 'sql', 'xml', 'jsonl', 'ini', 'toml']);
const MAX_TEXT = 64 * 1024;

export type Viewer = 'image' | 'html' | 'text' | null;

/** How a version's content can be shown inline, by its format. */
export function viewerFor(format: string | null | undefined, kind?: ArtifactKind): Viewer {
  const f = (format ?? '').toLowerCase().replace(/^\./, '');
  if (IMAGE.has(f)) return 'image';
  if (HTML.has(f)) return 'html';
  if (TEXT.has(f)) return 'text';
  if (kind === 'PLOT' && !f) return 'html';
  return null;
}

/**
 * A version's content shown inline: images (SVG included) as <img>, which
 * runs no script; HTML plots in a sandboxed frame with no script and no
 * same-origin access; text (CSV, JSON, Markdown…) as its first 64 KB.
 */
export function ContentView({ url, format, kind, title }: { url: string; format: string | null; kind?: ArtifactKind; title: string }) {
  const viewer = viewerFor(format, kind);
  if (viewer === 'image') {
    return (
      <figure className="content-view">
        <img src={url} alt={title} loading="lazy" />
      </figure>
    );
  }
  if (viewer === 'html' || viewer === 'text') return <FetchedContent url={url} viewer={viewer} title={title} />;
  return <p className="muted">This format ({format || 'unknown'}) has no inline view; download it instead.</p>;
}

function FetchedContent({ url, viewer, title }: { url: string; viewer: 'html' | 'text'; title: string }) {
  const [state, setState] = useState<{ text?: string; error?: string; cut?: boolean }>({});
  useEffect(() => {
    const ctl = new AbortController();
    setState({});
    fetch(url, { signal: ctl.signal, headers: { Range: `bytes=0-${MAX_TEXT - 1}` } })
      .then(async (res) => {
        if (!res.ok && res.status !== 206) throw new Error(`${res.status} ${(await res.text()).trim() || res.statusText}`);
        const text = await res.text();
        const total = Number(res.headers.get('Content-Range')?.split('/')[1] ?? text.length);
        setState({ text, cut: total > MAX_TEXT });
      })
      .catch((e: Error) => {
        if (!ctl.signal.aborted) setState({ error: e.message });
      });
    return () => ctl.abort();
  }, [url]);
  if (state.error) return <p className="status error" role="alert">Could not load the content: {state.error}</p>;
  if (state.text === undefined) return <p className="muted" role="status">Loading content…</p>;
  if (viewer === 'html') {
    return <iframe className="content-frame" title={title} sandbox="" srcDoc={state.text} />;
  }
  return (
    <>
      <pre className="content-text" tabIndex={0} aria-label={title}>
        {state.text}
      </pre>
      {state.cut ? <p className="muted small">Showing the first 64 KB; download for the rest.</p> : null}
    </>
  );
}
