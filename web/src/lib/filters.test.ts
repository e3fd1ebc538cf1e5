import { describe, expect, it } from 'vitest';
import { isoToLocalInput, kindsToQuery, listQuery, localInputToIso, parseListState, splitLabels, toFilter, validLabel } from './filters';
import { href } from './router';

describe('list state in the URL', () => {
  it('defaults to every kind, tag latest, first page', () => {
    const s = parseListState(new URLSearchParams(''));
    expect(s).toMatchObject({ type: 'all', kind: '', tag: 'latest', allVersions: false, labels: [], after: '' });
    expect(toFilter(s)).toEqual({ tag: 'latest' });
    expect(kindsToQuery(s)).toEqual([undefined]);
  });

  it('round-trips through the query string', () => {
    const q = new URLSearchParams('type=datasets&kind=TABLE&q=trans&label=env%3Dprod&label=pii&since=2025-01-01T00:00:00.000Z&tag=v1&owner=ana');
    const s = parseListState(q);
    expect(s.labels).toEqual(['env=prod', 'pii']);
    expect(kindsToQuery(s)).toEqual(['TABLE']);
    expect(toFilter(s)).toEqual({ keyContains: 'trans', labels: ['env=prod', 'pii'], since: '2025-01-01T00:00:00.000Z', tag: 'v1', owner: 'ana' });
    const again = parseListState(new URL(href('/p', listQuery(s)), 'http://x').searchParams);
    expect(again).toEqual(s);
  });

  it('lists every kind of a group when no kind is picked', () => {
    expect(kindsToQuery(parseListState(new URLSearchParams('type=files')))).toEqual(['ARTIFACT', 'DIR', 'LINK', 'PLOT', 'DOCUMENT']);
    expect(kindsToQuery(parseListState(new URLSearchParams('type=models')))).toEqual(['MODEL']);
  });

  it('ignores a kind outside the group', () => {
    expect(parseListState(new URLSearchParams('type=models&kind=PLOT')).kind).toBe('');
  });

  it('drops the tag for all versions', () => {
    const s = parseListState(new URLSearchParams('all=1&tag=v1'));
    expect(s.tag).toBe('');
    expect(toFilter(s)).toEqual({});
    expect(listQuery(s)).toMatchObject({ all: '1', tag: undefined });
  });
});

describe('label conditions', () => {
  it('splits on spaces and commas', () => {
    expect(splitLabels(' env=prod,team  pii ')).toEqual(['env=prod', 'team', 'pii']);
  });
  it('needs a key', () => {
    expect(validLabel('env=prod')).toBe(true);
    expect(validLabel('pii')).toBe(true);
    expect(validLabel('=prod')).toBe(false);
  });
});

describe('time range inputs', () => {
  it('turns the local datetime input into RFC 3339 and back', () => {
    const iso = localInputToIso('2025-11-02T08:15');
    expect(iso).toMatch(/^2025-11-0[12]T\d\d:\d\d:00\.000Z$/);
    expect(isoToLocalInput(iso)).toBe('2025-11-02T08:15');
    expect(localInputToIso('')).toBe('');
    expect(isoToLocalInput('garbage')).toBe('');
  });
});
