import { vi } from 'vitest';
import type { VersionSummary } from '../lib/types';

export function version(over: Partial<VersionSummary> = {}): VersionSummary {
  return {
    uri: 'store://models/fraud/classifier:latest@train-0001^97b8b4fb',
    project: 'fraud',
    key: 'classifier',
    kind: 'MODEL',
    uid: '97b8b4fb497f7e3802efa242663eebd5',
    iteration: 0,
    tree: 'train-0001',
    tags: ['latest', 'v1'],
    labels: [
      { key: 'env', value: 'prod' },
      { key: 'pii', value: null },
    ],
    createdAt: '2025-11-02T08:00:00Z',
    updatedAt: '2025-11-02T08:00:00Z',
    targetPath: '/data/artifacts/fraud/train/0/classifier.pkl',
    format: 'pkl',
    size: 2048,
    producer: { kind: 'run', name: 'train', uri: 'fraud/train-0001', owner: 'ana' },
    owner: { name: 'ana' },
    dataset: null,
    model: { framework: 'xgboost', algorithm: 'XGBClassifier', metrics: { accuracy: 0.98, auc: 0.91 } },
    downloadUrl: '/api/v1/artifacts/fraud/97b8b4fb497f7e3802efa242663eebd5/content',
    ...over,
  };
}

/**
 * Stubs fetch with a GraphQL server: `answers` maps an operation name (the
 * word after `query`) to its data, or to an error. Returns the mock, whose
 * calls hold each request's parsed body.
 */
export function stubGraphQL(answers: Record<string, unknown | ((vars: Record<string, unknown>) => unknown)>) {
  const f = vi.fn(async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as { query: string; variables: Record<string, unknown> };
    const op = /query\s+(\w+)/.exec(body.query)?.[1] ?? '';
    const a = answers[op];
    const data = typeof a === 'function' ? (a as (v: Record<string, unknown>) => unknown)(body.variables) : a;
    if (data instanceof Error) {
      return new Response(JSON.stringify({ data: null, errors: [{ message: data.message, extensions: { code: 'NOT_FOUND' } }] }));
    }
    if (data === undefined) return new Response(JSON.stringify({ data: null, errors: [{ message: `no stub for ${op}` }] }));
    return new Response(JSON.stringify({ data }), { headers: { 'Content-Type': 'application/json' } });
  });
  vi.stubGlobal('fetch', f);
  return f;
}

export function requests(f: ReturnType<typeof stubGraphQL>) {
  return f.mock.calls.map(([, init]) => JSON.parse(String(init?.body)) as { query: string; variables: Record<string, unknown> });
}
