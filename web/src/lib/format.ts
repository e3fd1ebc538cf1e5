import type { Json, Label } from './types';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "Nov 2, 2025, 8:15 AM" in the reader's locale and zone. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

/** "3 hours ago", "in 2 days", "just now". */
export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((t - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return 'just now';
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['minute', 60],
    ['hour', 3600],
    ['day', 86400],
    ['month', 2592000],
    ['year', 31536000],
  ];
  let unit: Intl.RelativeTimeFormatUnit = 'minute';
  let size = 60;
  for (const [u, n] of units) if (abs >= n * 0.75) [unit, size] = [u, n];
  return relative.format(Math.round(s / size), unit);
}

/** "1.2 MB"; "—" for null. */
export function formatBytes(n: number | null | undefined): string {
  if (n == null) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

const numberFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
const intFmt = new Intl.NumberFormat();

export function formatNumber(n: number): string {
  return Number.isInteger(n) ? intFmt.format(n) : numberFmt.format(n);
}

/** A JSON value in a table cell: numbers formatted, strings as is, others as JSON. */
export function formatCell(v: Json | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function labelText(l: Label): string {
  return l.value == null ? l.key : `${l.key}=${l.value}`;
}

export function duration(startIso: string, endIso: string | null | undefined, now = Date.now()): string {
  const ms = (endIso ? new Date(endIso).getTime() : now) - new Date(startIso).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${m % 60}m`;
}

export function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function shortUid(uid: string): string {
  return uid.length > 10 ? uid.slice(0, 8) : uid;
}

/** "1 run", "3 runs". */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${formatNumber(n)} ${n === 1 ? noun : many}`;
}
