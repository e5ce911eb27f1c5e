// The live connection: one graphql-ws socket at /graphql (the server's
// graphql-transport-ws transport) for the app's subscriptions, signed in
// with the session's token in connection_init. It connects while a
// subscription runs, reconnects with backoff when the socket drops (a
// reconnected subscription's first event is a resync), and reports whether
// it is up, so that polling runs only while it is down.
import { createClient, type Client as WSClient } from 'graphql-ws';
import { subscriptionExchange } from 'urql';
import { getToken, UNAUTHENTICATED_EVENT } from './client';

/** The close code the server sends for a missing, bad or expired sign-in. */
export const CLOSE_UNAUTHORIZED = 4401;

type Listener = (up: boolean) => void;
let up = false;
const listeners = new Set<Listener>();

function setUp(v: boolean) {
  if (up === v) return;
  up = v;
  listeners.forEach((l) => l(v));
}

/** Whether the live socket is connected now. */
export function liveIsUp(): boolean {
  return up;
}

/** Calls l whenever the socket connects or drops; returns the unsubscribe. */
export function onLiveChange(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

function socketURL(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/graphql`;
}

let ws: WSClient | null = null;
// The token the socket signed in with: a refusal of an older one (the user
// signed in again meanwhile) does not end the new session.
let sentToken: string | null = null;

function isUnauthorized(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && (e as CloseEvent).code === CLOSE_UNAUTHORIZED;
}

function socket(): WSClient {
  ws ??= createClient({
    url: socketURL,
    lazy: true,
    connectionParams: () => {
      sentToken = getToken();
      return sentToken ? { Authorization: `Bearer ${sentToken}` } : {};
    },
    // Retried forever with graphql-ws's randomised backoff, except a
    // refused or expired sign-in (4401): the session asks to sign in again
    // at once, and the bell subscribes again after it (RESUMED_EVENT).
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: (e) => !isUnauthorized(e),
    on: {
      connected: () => setUp(true),
      closed: (e) => {
        setUp(false);
        if (isUnauthorized(e) && sentToken && sentToken === getToken()) window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
      },
    },
  });
  return ws;
}

/** Drops the socket so that the next connection signs in with the current token (after sign-in or sign-out). */
export function restartLive(): void {
  ws?.terminate();
}

/** The urql exchange that sends subscriptions over the live socket. */
export const liveExchange = subscriptionExchange({
  forwardSubscription(request) {
    const input = { ...request, query: request.query || '' };
    return {
      subscribe(sink) {
        const unsubscribe = socket().subscribe(input, sink);
        return { unsubscribe };
      },
    };
  },
});
