import { describe, expect, it } from 'vitest';
import { duration, formatBytes, formatCell, labelText, plural, timeAgo } from './format';

describe('format', () => {
  it('formats sizes', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024 * 1024)).toBe('5.0 GB');
  });
  it('formats relative times', () => {
    const now = Date.parse('2025-01-02T00:00:00Z');
    expect(timeAgo('2025-01-01T23:59:50Z', now)).toBe('just now');
    expect(timeAgo('2025-01-01T21:00:00Z', now)).toMatch(/3 hours ago/);
    expect(timeAgo('2024-12-30T00:00:00Z', now)).toMatch(/3 days ago/);
  });
  it('formats cells, labels, counts and durations', () => {
    expect(formatCell(null)).toBe('');
    expect(formatCell(true)).toBe('true');
    expect(formatCell({ a: 1 })).toBe('{"a":1}');
    expect(labelText({ key: 'env', value: 'prod' })).toBe('env=prod');
    expect(labelText({ key: 'pii', value: null })).toBe('pii');
    expect(plural(1, 'run')).toBe('1 run');
    expect(plural(2, 'run')).toBe('2 runs');
    expect(duration('2025-01-01T00:00:00Z', '2025-01-01T01:02:03Z')).toBe('1h 2m');
  });
});
