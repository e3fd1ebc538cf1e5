import './workers';
import 'graphiql/style.css';
import './graphiql.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { endpoints, initialQuery, withShallowIntrospection } from './config';

const { url, subscriptionUrl } = endpoints(window.location);
// Queries and mutations go over HTTP; subscriptions over graphql-ws
// (graphql-transport-ws) on the same path, which the server keeps alive.
const fetcher = withShallowIntrospection(createGraphiQLFetcher({ url, subscriptionUrl }));
const params = new URLSearchParams(window.location.search);

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      defaultQuery={initialQuery}
      initialQuery={params.get('query') ?? undefined}
      initialVariables={params.get('variables') ?? undefined}
      defaultEditorToolsVisibility={params.has('variables') ? 'variables' : false}
      shouldPersistHeaders={false}
    >
      <GraphiQL.Logo>
        <a className="artigraph-logo" href="/" title="Back to the Artigraph browser">
          Artigraph
        </a>
      </GraphiQL.Logo>
    </GraphiQL>
  </StrictMode>,
);
