import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { Client, fetchExchange, Provider } from 'urql';
import { SessionProvider, useSession } from './session';
import { UNAUTHENTICATED_EVENT } from '../api/client';

// The session as the page sees it: whether it asks to sign in again.
function Expired() {
  const { expired, viewer } = useSession();
  return <span data-testid="state">{`${viewer?.name ?? '-'}:${expired ? 'expired' : 'ok'}`}</span>;
}

describe('SessionProvider', () => {
  // A client whose requests never answer: the session's refresh (1.5 s after
  // mount with a cached session) stays out of these tests.
  const client = new Client({ url: '/graphql', exchanges: [fetchExchange], fetch: () => new Promise<Response>(() => {}) });
  const mount = () =>
    render(
      <Provider value={client}>
        <SessionProvider>
          <Expired />
        </SessionProvider>
      </Provider>,
    );
  beforeEach(() => {
    localStorage.clear();
    localStorage.setItem('scrm.token', 'tok-1');
    localStorage.setItem('scrm.session', JSON.stringify({ token: 'tok-1', viewer: { id: 'u1', name: 'Ann', workspace: { id: 'w1' }, roles: ['rep'] }, perms: [] }));
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts expired when the token was refused before it mounted (the first page is asked before the first render)', () => {
    window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
    const { unmount } = mount();
    expect(screen.getByTestId('state').textContent).toBe('Ann:expired');
    unmount();
    // Taken once: the next provider starts signed in.
    mount();
    expect(screen.getByTestId('state').textContent).toBe('Ann:ok');
  });

  it('turns expired on a refusal while mounted, and a refusal then is not kept for a later provider', () => {
    const { unmount } = mount();
    expect(screen.getByTestId('state').textContent).toBe('Ann:ok');
    act(() => {
      window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
    });
    expect(screen.getByTestId('state').textContent).toBe('Ann:expired');
    unmount();
    mount();
    expect(screen.getByTestId('state').textContent).toBe('Ann:ok');
  });

  it('keeps the viewer and permissions when the token ends between the refresh\'s two reads', async () => {
    localStorage.setItem('scrm.session', JSON.stringify({ token: 'tok-1', viewer: { id: 'u1', name: 'Ann', workspace: { id: 'w1' }, roles: ['rep'] }, perms: [{ resource: 'lead', action: 'read' }] }));
    // The viewer is read with the token; the token is gone by the permissions' read.
    const answer = (body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { headers: { 'Content-Type': 'application/json' } }));
    const fetch = vi.fn((_url: RequestInfo | URL, init?: RequestInit) => {
      const { operationName } = JSON.parse(String(init?.body));
      if (operationName === 'Me') return answer({ data: { me: { __typename: 'User', id: 'u1', name: 'Ann', roles: ['rep'], workspace: { __typename: 'Workspace', id: 'w1' } } } });
      return answer({ data: null, errors: [{ message: 'unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }] });
    });
    const answering = new Client({ url: '/graphql', exchanges: [fetchExchange], fetch, preferGetMethod: false });
    function Perms() {
      const { can } = useSession();
      return <span data-testid="perms">{can('lead', 'read') ? 'lead:read' : 'none'}</span>;
    }
    render(
      <Provider value={answering}>
        <SessionProvider>
          <Expired />
          <Perms />
        </SessionProvider>
      </Provider>,
    );
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1600);
    });
    await act(async () => {
      await vi.runAllTimersAsync();
    });
    expect(fetch.mock.calls.map(([, init]) => JSON.parse(String(init?.body)).operationName)).toEqual(['Me', 'Permissions']);
    expect(screen.getByTestId('state').textContent).toBe('Ann:expired');
    expect(screen.getByTestId('perms').textContent).toBe('lead:read');
    expect(JSON.parse(localStorage.getItem('scrm.session')!).perms).toEqual([{ resource: 'lead', action: 'read' }]);
  });
});
