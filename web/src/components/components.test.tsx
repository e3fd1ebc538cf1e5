import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseListState } from '../lib/filters';
import { ApiError } from '../lib/graphql';
import { Router } from '../lib/router';
import { version } from '../test/fixtures';
import { ArtifactTable, typeSummary } from './ArtifactTable';
import { ContentView, viewerFor } from './Content';
import { KeyValues, PreviewTable, SchemaView, StatsTable } from './Data';
import { FilterBar } from './FilterBar';
import { ErrorBox } from './Status';

afterEach(() => vi.unstubAllGlobals());

describe('ArtifactTable', () => {
  it('shows each version with a link to its page, its labels and producer', async () => {
    const onPick = vi.fn();
    render(
      <Router>
        <ArtifactTable items={[version()]} caption="Models" onPickLabel={onPick} />
      </Router>,
    );
    const row = screen.getByRole('row', { name: /classifier/ });
    expect(within(row).getByRole('link', { name: 'classifier' }).getAttribute('href')).toBe('/projects/fraud/models/classifier?uid=97b8b4fb497f7e3802efa242663eebd5');
    expect(within(row).getByRole('link', { name: 'train' }).getAttribute('href')).toBe('/projects/fraud/runs/train-0001');
    expect(within(row).getByText('xgboost · XGBClassifier · auc 0.91')).toBeTruthy();
    expect(within(row).getByText('2.0 KB')).toBeTruthy();
    await userEvent.click(within(row).getByRole('button', { name: 'env=prod' }));
    expect(onPick).toHaveBeenCalledWith('env=prod');
  });

  it('summarises datasets by shape', () => {
    expect(typeSummary(version({ kind: 'DATASET', model: null, dataset: { header: ['a', 'b'], length: 1200 } }))).toBe('1,200 rows × 2 columns');
    expect(typeSummary(version({ kind: 'PLOT', model: null, format: 'svg' }))).toBe('SVG');
  });
});

describe('FilterBar', () => {
  const setup = (search = '') => {
    const onChange = vi.fn();
    render(<FilterBar value={parseListState(new URLSearchParams(search))} onChange={onChange} />);
    return onChange;
  };

  it('searches by key and labels', async () => {
    const onChange = setup();
    await userEvent.type(screen.getByRole('searchbox'), 'trans');
    await userEvent.type(screen.getByRole('textbox', { name: 'Labels' }), 'env=prod, pii');
    await userEvent.click(screen.getByRole('button', { name: 'Search' }));
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ q: 'trans', labels: ['env=prod', 'pii'], tag: 'latest', allVersions: false, after: '' }));
  });

  it('refuses a label without a key', async () => {
    const onChange = setup();
    await userEvent.type(screen.getByRole('textbox', { name: 'Labels' }), '=prod');
    await userEvent.click(screen.getByRole('button', { name: 'Search' }));
    expect(onChange).not.toHaveBeenCalled();
    expect(screen.getByRole('alert').textContent).toMatch(/not a label condition/);
  });

  it('lists every version when asked', async () => {
    const onChange = setup();
    await userEvent.click(screen.getByRole('checkbox', { name: /All versions/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Search' }));
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ allVersions: true, tag: '' }));
  });

  it('shows active conditions as removable chips', async () => {
    const onChange = setup('label=env%3Dprod&label=pii&q=roc');
    const chips = screen.getByRole('list', { name: 'Active conditions' });
    expect(within(chips).getAllByRole('listitem')).toHaveLength(3);
    await userEvent.click(screen.getByRole('button', { name: 'Remove label env=prod' }));
    expect(onChange).toHaveBeenCalledWith({ labels: ['pii'], after: '' });
  });
});

describe('data views', () => {
  it('renders a preview under its header', () => {
    render(<PreviewTable header={['id', 'amount']} rows={[[1, 9.5], [2, 1200]]} caption="Preview" />);
    const table = screen.getByRole('table');
    expect(within(table).getAllByRole('columnheader').map((c) => c.textContent)).toEqual(['id', 'amount']);
    expect(within(table).getByText('1,200')).toBeTruthy();
  });

  it('renders per-column statistics in describe() order', () => {
    render(<StatsTable stats={{ amount: { max: 9, count: 3, mean: 4 } }} />);
    expect(screen.getAllByRole('columnheader').map((c) => c.textContent)).toEqual(['Column', 'count', 'mean', 'max']);
  });

  it('renders a Table Schema as fields, other schemas as JSON', () => {
    const { unmount } = render(<SchemaView schema={{ fields: [{ name: 'id', type: 'integer' }], primaryKey: 'id' }} />);
    expect(screen.getByRole('rowheader', { name: 'id' })).toBeTruthy();
    expect(screen.getByText('primaryKey: id')).toBeTruthy();
    unmount();
    render(<SchemaView schema={{ type: 'struct' }} />);
    expect(screen.getByText(/"struct"/)).toBeTruthy();
  });

  it('renders metrics as name/value rows', () => {
    render(<KeyValues value={{ auc: 0.91, f1: 0.8 }} caption="Metrics" keyHead="Metric" />);
    expect(screen.getByRole('rowheader', { name: 'auc' })).toBeTruthy();
    expect(screen.getByText('0.91')).toBeTruthy();
  });
});

describe('ContentView', () => {
  it('shows images (SVG included) inline', () => {
    expect(viewerFor('svg')).toBe('image');
    expect(viewerFor('html')).toBe('html');
    expect(viewerFor('csv')).toBe('text');
    expect(viewerFor('pkl')).toBeNull();
    render(<ContentView url="/api/v1/artifacts/p/u/content" format="svg" title="roc" />);
    expect(screen.getByRole('img', { name: 'roc' }).getAttribute('src')).toBe('/api/v1/artifacts/p/u/content');
  });

  it('shows HTML plots in a sandboxed frame', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('<table><tr><td>1</td></tr></table>', { status: 200 })));
    render(<ContentView url="/c" format="html" title="confusion" />);
    const frame = await screen.findByTitle('confusion');
    expect(frame.tagName).toBe('IFRAME');
    expect(frame.getAttribute('sandbox')).toBe('');
  });

  it('shows text, and the error when the download fails', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('not found', { status: 404 })));
    render(<ContentView url="/c" format="csv" title="data" />);
    expect((await screen.findByRole('alert')).textContent).toMatch(/404 not found/);
  });
});

describe('ErrorBox', () => {
  it("shows the server's message and code, and retries", () => {
    const retry = vi.fn();
    render(<ErrorBox error={new ApiError('project "x" does not exist', 'NOT_FOUND')} retry={retry} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('project "x" does not exist');
    expect(alert.textContent).toContain('NOT_FOUND');
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(retry).toHaveBeenCalled();
  });
});
