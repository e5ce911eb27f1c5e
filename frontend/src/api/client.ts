// The GraphQL client: one urql client for the app, sending the session's
// bearer token and telling the session when the server refuses it.
import { Client, cacheExchange, fetchExchange, makeOperation, mapExchange, type CombinedError } from 'urql';
import { liveExchange, restartLive } from './live';

const TOKEN_KEY = 'scrm.token';
/** The localStorage key of the token (another tab clearing it ends this tab's session). */
export const TOKEN_STORAGE_KEY = TOKEN_KEY;

/** Dispatched on window when the same user signed in again after their session ended. */
export const RESUMED_EVENT = 'scrm:resumed';

/** Dispatched on window when the server refuses the session's token. */
export const UNAUTHENTICATED_EVENT = 'scrm:unauthenticated';

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  // The live socket signed in with the old token: connect again with this one.
  restartLive();
}

/** Whether err says the caller's credentials are missing, expired or revoked. */
export function isUnauthenticated(err: CombinedError | undefined): boolean {
  return !!err?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED') || err?.response?.status === 401;
}

export function createClient(onUnauthenticated: () => void): Client {
  return new Client({
    url: '/graphql',
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => {
      const token = getToken();
      const headers: Record<string, string> = {};
      if (token) headers.Authorization = `Bearer ${token}`;
      return { headers };
    },
    exchanges: [
      mapExchange({
        // Each request remembers the token it was sent with, so that an
        // answer to a request sent before the user signed in again (with the
        // old or no token) does not end the new session.
        onOperation(operation) {
          return makeOperation(operation.kind, operation, { ...operation.context, sentToken: getToken() });
        },
        onError(error, operation) {
          // A failed login answers UNAUTHENTICATED too; that is not a lost session.
          const isLogin = operation.kind === 'mutation' && operation.query.definitions.some(
            (d) => d.kind === 'OperationDefinition' && d.name?.value === 'Login',
          );
          const stale = 'sentToken' in operation.context && operation.context.sentToken !== getToken();
          if (!isLogin && !stale && isUnauthenticated(error)) onUnauthenticated();
        },
      }),
      cacheExchange,
      fetchExchange,
      // Subscriptions (the bell's notificationAdded) over the live socket.
      liveExchange,
    ],
  });
}
