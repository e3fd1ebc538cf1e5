import { getIntrospectionQuery, Kind, parse, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { endpoints, shallowIntrospection, withShallowIntrospection } from './config';

/** The server's depth rule (api/depth.go): fields count, fragments count where spread. */
function depth(query: string): number {
  const doc = parse(query);
  const frags = new Map(
    doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const walk = (set: SelectionSetNode | undefined): number => {
    let deepest = 0;
    for (const s of set?.selections ?? []) {
      let d = 0;
      if (s.kind === Kind.FIELD) d = 1 + walk(s.selectionSet);
      else if (s.kind === Kind.INLINE_FRAGMENT) d = walk(s.selectionSet);
      else d = walk(frags.get(s.name.value)?.selectionSet);
      deepest = Math.max(deepest, d);
    }
    return deepest;
  };
  const op = doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  return op && 'selectionSet' in op ? walk(op.selectionSet) : 0;
}

describe('GraphiQL config', () => {
  it('points at the serving host, websockets included', () => {
    expect(endpoints({ protocol: 'http:', host: '127.0.0.1:8080' })).toEqual({
      url: 'http://127.0.0.1:8080/graphql',
      subscriptionUrl: 'ws://127.0.0.1:8080/graphql',
    });
    expect(endpoints({ protocol: 'https:', host: 'ag.example' }).subscriptionUrl).toBe('wss://ag.example/graphql');
  });

  it("fits the introspection query in the server's default depth limit", () => {
    const full = getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true });
    expect(depth(full)).toBeGreaterThan(10);
    const shallow = shallowIntrospection(full);
    expect(depth(shallow)).toBeLessThanOrEqual(10);
    expect(shallow).toContain('query IntrospectionQuery');
  });

  it('rewrites only the introspection operation', () => {
    const inner = vi.fn(() => Promise.resolve({ data: {} }));
    const f = withShallowIntrospection(inner);
    void f({ query: '{ projects { name } }', operationName: null });
    void f({ query: getIntrospectionQuery(), operationName: 'IntrospectionQuery' });
    const calls = inner.mock.calls as unknown as [{ query: string }][];
    expect(calls[0][0].query).toBe('{ projects { name } }');
    expect(depth(calls[1][0].query)).toBeLessThanOrEqual(10);
  });
});
