import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { requests, stubGraphQL, version } from '../test/fixtures';

function at(path: string) {
  window.history.replaceState(null, '', path);
  return render(<App />);
}

const project = { name: 'fraud', description: 'Card fraud', artifactPath: null, labels: [], createdAt: '2025-01-01T00:00:00Z' };
const conn = (nodes: unknown[], hasNextPage = false, totalCount = nodes.length) => ({
  edges: nodes.map((node, i) => ({ cursor: `c${i}`, node })),
  pageInfo: { hasNextPage, endCursor: hasNextPage ? 'next-cursor' : null },
  totalCount,
});

beforeEach(() => window.history.replaceState(null, '', '/'));
afterEach(() => vi.unstubAllGlobals());

describe('projects page', () => {
  it('lists projects with their counts', async () => {
    stubGraphQL({
      Projects: { projects: [project] },
      ProjectCounts: { a0: { totalCount: 12 }, m0: { totalCount: 3 }, r0: { totalCount: 4, edges: [] } },
    });
    at('/');
    const card = (await screen.findByRole('link', { name: 'fraud' })).closest('li')!;
    await waitFor(() => expect(within(card).getByText('12')).toBeTruthy());
    expect(within(card).getByRole('link', { name: '3' }).getAttribute('href')).toBe('/projects/fraud?type=models');
    expect(document.title).toBe('Projects · Artigraph');
  });

  it("shows the server's error", async () => {
    stubGraphQL({ Projects: new Error('store unreachable') });
    at('/');
    expect((await screen.findByRole('alert')).textContent).toContain('store unreachable');
  });
});

describe('project page', () => {
  it('lists the latest version of each artifact, filtered from the URL, and pages on', async () => {
    const f = stubGraphQL({
      Project: { project },
      Artifacts: (vars: Record<string, unknown>) => ({ artifacts: conn([version()], !vars.after, 30) }),
    });
    at('/projects/fraud?type=models&label=env%3Dprod');
    expect(await screen.findByRole('link', { name: 'classifier' })).toBeTruthy();
    const list = requests(f).find((r) => r.query.includes('query Artifacts'))!;
    expect(list.variables).toMatchObject({ project: 'fraud', filter: { kind: 'MODEL', tag: 'latest', labels: ['env=prod'] }, first: 25, after: null });
    expect(screen.getByText('1–1 of 30 artifacts')).toBeTruthy();

    await userEvent.click(screen.getByRole('button', { name: 'Next →' }));
    await waitFor(() => expect(window.location.search).toContain('after=next-cursor'));
    await waitFor(() => expect(requests(f).some((r) => r.variables.after === 'next-cursor')).toBe(true));
    expect(await screen.findByRole('button', { name: '← Previous' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: '← Previous' }));
    await waitFor(() => expect(window.location.search).not.toContain('after='));
  });

  it('merges the kinds of a group into one list', async () => {
    const f = stubGraphQL({
      Project: { project },
      ArtifactsByKinds: {
        k0: conn([version({ kind: 'DATASET', key: 'transactions', uid: 'd1', updatedAt: '2025-01-02T00:00:00Z', model: null })]),
        k1: conn([version({ kind: 'TABLE', key: 'summary', uid: 't1', updatedAt: '2025-01-03T00:00:00Z', model: null })]),
      },
    });
    at('/projects/fraud?type=datasets');
    const links = await screen.findAllByRole('link', { name: /transactions|summary/ });
    expect(links.map((l) => l.textContent)).toEqual(['summary', 'transactions']);
    const q = requests(f).find((r) => r.query.includes('ArtifactsByKinds'))!;
    expect(q.variables.f0).toMatchObject({ kind: 'DATASET' });
    expect(q.variables.f1).toMatchObject({ kind: 'TABLE' });
  });

  it('adds a clicked label to the search and the URL', async () => {
    stubGraphQL({ Project: { project }, Artifacts: { artifacts: conn([version()]) } });
    at('/projects/fraud');
    await userEvent.click(await screen.findByRole('button', { name: 'pii' }));
    await waitFor(() => expect(new URLSearchParams(window.location.search).getAll('label')).toEqual(['pii']));
  });

  it('says when the project does not exist', async () => {
    stubGraphQL({ Project: { project: null }, Artifacts: new Error('project "nope" does not exist') });
    at('/projects/nope');
    expect((await screen.findByText('Project "nope" not found')).closest('[role=alert]')).toBeTruthy();
  });
});

describe('artifact page', () => {
  it('shows a model with its metrics, chart link and downloads', async () => {
    const roc = { uri: 'store://artifacts/fraud/roc^r1', project: 'fraud', key: 'roc', kind: 'PLOT', uid: 'r1', iteration: 0, tags: ['latest'], format: 'svg', downloadUrl: '/api/v1/artifacts/fraud/r1/content' };
    stubGraphQL({
      Artifact: (vars: Record<string, unknown>) => {
        expect(vars.uri).toBe('store://models/fraud/classifier:v1');
        return {
          artifact: {
            ...version(),
            description: 'Gradient boosted',
            hash: 'sha256:abc',
            externalSources: [],
            extra: null,
            yaml: 'kind: model\n',
            run: { project: 'fraud', uid: 'train-0001', name: 'train', state: 'COMPLETED', pipeline: { id: 'nightly' } },
            sources: [],
            consumers: [],
            links: [{ relation: 'chart', target: roc }],
            linkedFrom: [],
            dataset: null,
            model: { modelFile: 'model.pkl', framework: 'xgboost', algorithm: 'XGB', metrics: { auc: 0.91 }, parameters: { depth: 6 }, featureVector: null },
          },
        };
      },
      Impact: { impact: { artifacts: [roc], runs: [], pipelines: [], truncated: false } },
      Versions: { artifacts: conn([version()]) },
    });
    at('/projects/fraud/models/classifier?tag=v1');
    expect(await screen.findByRole('heading', { level: 1, name: 'classifier' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Download content' }).getAttribute('href')).toBe(version().downloadUrl);
    expect(screen.getByRole('link', { name: 'Download YAML' }).getAttribute('href')).toBe('/api/v1/artifacts/fraud/97b8b4fb497f7e3802efa242663eebd5/yaml');
    expect(screen.getByRole('rowheader', { name: 'auc' })).toBeTruthy();
    const links = screen.getByRole('region', { name: 'Links' });
    expect(within(links).getByRole('link', { name: 'roc' }).getAttribute('href')).toBe('/projects/fraud/artifacts/roc?uid=r1');
    expect(within(links).getByRole('img', { name: 'chart: roc' })).toBeTruthy();
    expect(await screen.findByText(/1 artifact · 0 runs · 0 pipelines/)).toBeTruthy();
  });

  it('says when no version matches', async () => {
    stubGraphQL({ Artifact: { artifact: null } });
    at('/projects/fraud/models/nope');
    expect(await screen.findByText('Artifact version not found')).toBeTruthy();
  });
});

describe('routing', () => {
  it('shows not found for unknown paths', async () => {
    stubGraphQL({});
    at('/nowhere/at/all');
    expect(await screen.findByText('Page not found')).toBeTruthy();
  });

  it('navigates in-app on link clicks and follows back', async () => {
    stubGraphQL({
      Projects: { projects: [project] },
      ProjectCounts: { a0: { totalCount: 1 }, m0: { totalCount: 0 }, r0: { totalCount: 0, edges: [] } },
      Project: { project },
      Artifacts: { artifacts: conn([]) },
    });
    at('/');
    await userEvent.click(await screen.findByRole('link', { name: 'fraud' }));
    expect(window.location.pathname).toBe('/projects/fraud');
    expect(await screen.findByRole('heading', { level: 1, name: 'fraud' })).toBeTruthy();
    await act(async () => {
      window.history.back();
      await new Promise((r) => setTimeout(r, 50));
    });
    expect(await screen.findByRole('heading', { level: 1, name: 'Projects' })).toBeTruthy();
  });
});
