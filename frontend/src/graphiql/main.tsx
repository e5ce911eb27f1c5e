// GraphiQL at /graphiql, built into the binary with the web app (a second
// Vite entry, graphiql.html) so that it renders without any network access
// but the server's: no CDN. Monaco's workers are bundled too.
import 'graphiql/setup-workers/vite';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { getToken } from '../api/client';
import { fetchGraphQL } from './fetcher';

const signedOut = `# Not signed in: sign in to the web app (/login) and reload, or put
# {"Authorization": "Bearer <token>"} or {"X-API-Key": "<key>"} in Headers below.
# The login mutation works without either.
`;

const defaultQuery = `# scrm GraphQL API, as the signed-in user of the web app.
${getToken() ? '' : signedOut}
query WhoAmI {
  me {
    id
    name
    roles
  }
}
`;

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <GraphiQL fetcher={fetchGraphQL} defaultQuery={defaultQuery} />
  </StrictMode>,
);
