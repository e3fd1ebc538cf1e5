import type { Fetcher } from '@graphiql/toolkit';

/** The GraphQL endpoints of the server that served the page. */
export function endpoints(loc: { protocol: string; host: string }) {
  const ws = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return {
    url: `${loc.protocol}//${loc.host}/graphql`,
    subscriptionUrl: `${ws}//${loc.host}/graphql`,
  };
}

export const initialQuery = `# Artigraph's GraphiQL. Run with Ctrl-Enter.
# Docs: the book icon. History: the clock icon.
# Subscriptions (artifactLogged) run over websockets.

query Projects {
  projects {
    name
    description
  }
}
`;

/**
 * graphql-js's introspection query nests `ofType` so deep (15 levels) that
 * the server's depth limit (10 by default) refuses it. This is the same query
 * with a TypeRef of `levels` wrappers: 4 covers types like `[[String!]!]`,
 * and keeps the deepest path (`__schema.types.fields.args.type…`) at 10.
 */
export function shallowIntrospection(query: string, levels = 4): string {
  const at = query.indexOf('fragment TypeRef on __Type');
  if (at < 0) return query;
  let ref = 'kind name';
  for (let i = 0; i < levels; i++) ref = `kind name ofType { ${ref} }`;
  return `${query.slice(0, at)}fragment TypeRef on __Type { ${ref} }\n`;
}

/** Wraps a fetcher so GraphiQL's schema introspection fits the server's depth limit. */
export function withShallowIntrospection(fetcher: Fetcher): Fetcher {
  return (params, opts) =>
    params.operationName === 'IntrospectionQuery' || /^\s*query IntrospectionQuery\b/.test(params.query)
      ? fetcher({ ...params, query: shallowIntrospection(params.query) }, opts)
      : fetcher(params, opts);
}
