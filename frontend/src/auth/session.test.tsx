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
});
