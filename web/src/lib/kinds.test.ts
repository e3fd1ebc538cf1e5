import { describe, expect, it } from 'vitest';
import { artifactPath, parseStoreUri, pathForUri, storePrefix, storeUri } from './kinds';

describe('store URIs and UI paths', () => {
  it('maps kinds to store prefixes as the server does', () => {
    expect(storePrefix('MODEL')).toBe('models');
    expect(storePrefix('FEATURE_VECTOR')).toBe('feature-vectors');
    expect(storePrefix('PLOT')).toBe('artifacts');
    expect(storePrefix('TABLE')).toBe('artifacts');
  });

  it('parses canonical URIs', () => {
    expect(parseStoreUri('store://models/fraud/classifier:v1@train-0001^97b8')).toEqual({
      prefix: 'models',
      project: 'fraud',
      key: 'classifier',
      query: { uid: '97b8' },
    });
    expect(parseStoreUri('store://datasets/fraud/transactions#3:latest')).toEqual({
      prefix: 'datasets',
      project: 'fraud',
      key: 'transactions',
      query: { tag: 'latest', iter: '3' },
    });
    expect(parseStoreUri('s3://bucket/x')).toBeNull();
  });

  it('links URIs and runs to pages', () => {
    expect(pathForUri('store://artifacts/fraud/roc')).toBe('/projects/fraud/artifacts/roc');
    expect(pathForUri('run:fraud/train-0001')).toBe('/projects/fraud/runs/train-0001');
    expect(artifactPath({ project: 'fraud', kind: 'MODEL', key: 'clf', uid: 'u1', iteration: 2 })).toBe('/projects/fraud/models/clf?uid=u1&iter=2');
  });

  it('builds the URI an artifact page names', () => {
    expect(storeUri('models', 'fraud', 'clf', new URLSearchParams('tag=v1'))).toBe('store://models/fraud/clf:v1');
    expect(storeUri('models', 'fraud', 'clf', new URLSearchParams('uid=abc&iter=2'))).toBe('store://models/fraud/clf#2^abc');
    expect(storeUri('models', 'fraud', 'clf', new URLSearchParams(''))).toBe('store://models/fraud/clf');
  });
});
