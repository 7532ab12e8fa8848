// GraphiQL for demo mode, bundled from npm so it works offline and loads nothing from another origin.
// The server answers a browser's GET /graphql with this page (frontend/dist/graphiql.html).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import './graphiql.css';

const fetcher = createGraphiQLFetcher({ url: '/graphql' });

const defaultQuery = `# Runs as the admin signed in to the console
# (make run prints the demo login).
{
  viewer {
    organisation { name }
  }
}
`;

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={defaultQuery}>
      {/* Our own name instead of GraphiQL's link to GitHub (grey on grey, below AA contrast). */}
      <GraphiQL.Logo>
        <span style={{ color: '#1f2937' }}>Scopekeeper</span>
      </GraphiQL.Logo>
    </GraphiQL>
  </StrictMode>,
);
