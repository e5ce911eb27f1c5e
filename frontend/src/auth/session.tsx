// The signed-in session: the token, the viewer (Query.me) and what the
// viewer's roles may do (Query.permissions per role).
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useClient } from 'urql';
import { getToken, isUnauthenticated, RESUMED_EVENT, setToken, TOKEN_STORAGE_KEY, UNAUTHENTICATED_EVENT } from '../api/client';
import { MeDoc, PermissionsDoc } from '../api/ops';
import type { MeQuery } from '../gql/graphql';
import { makeCan, type Can, type Perm } from '../lib/permissions';
import { errorText } from '../api/errors';
import { closeOpsSession } from '../api/opsPages';

export type Viewer = MeQuery['me'];

interface Session {
  token: string | null;
  viewer: Viewer | null;
  perms: Perm[];
  can: Can;
  loading: boolean;
  error: string | null;
  /** The server refused the token (expired, revoked or cleared): the page stays and asks to sign in again. */
  expired: boolean;
  signIn: (token: string) => void;
  /** Continues the same user's session with a new token, keeping the page as it is. */
  resume: (token: string) => void;
  signOut: () => void;
  reload: () => void;
}

const SessionContext = createContext<Session | null>(null);

// The last viewer and permissions, kept with the token they belong to, so a
// reload renders at once and refreshes them in the background. They only
// decide what the UI offers; the server checks every call.
const CACHE_KEY = 'scrm.session';

function cached(token: string | null): { viewer: Viewer; perms: Perm[] } | null {
  if (!token) return null;
  try {
    const c = JSON.parse(localStorage.getItem(CACHE_KEY) ?? 'null') as { token: string; viewer: Viewer; perms: Perm[] } | null;
    return c && c.token === token && c.viewer && Array.isArray(c.perms) ? c : null;
  } catch {
    return null;
  }
}

/** The viewer kept with the current token, before the session is read again (the first page's early request uses it). */
export function cachedViewer(): Viewer | null {
  return cached(getToken())?.viewer ?? null;
}

// A refusal reported before any SessionProvider listens: the leads list's
// first page is asked before the app's first render, which waits for its
// answer (api/prefetch.ts), so an expired token's UNAUTHENTICATED can come
// first. The provider starts expired then, as it would have on the event.
let refusedBeforeMount = false;
let providersListening = 0;
if (typeof window !== 'undefined') {
  window.addEventListener(UNAUTHENTICATED_EVENT, () => {
    if (providersListening === 0) refusedBeforeMount = true;
  });
}

/** Whether a refusal came before the provider mounted; reading it forgets it. */
function takeRefusedBeforeMount(): boolean {
  const r = refusedBeforeMount;
  refusedBeforeMount = false;
  return r;
}

export function SessionProvider({ children, onSignOut }: { children: ReactNode; onSignOut?: () => void }) {
  const client = useClient();
  const [token, setTok] = useState<string | null>(getToken);
  const [viewer, setViewer] = useState<Viewer | null>(() => cached(token)?.viewer ?? null);
  const [perms, setPerms] = useState<Perm[]>(() => cached(token)?.perms ?? []);
  const [loading, setLoading] = useState<boolean>(!!token && !cached(token));
  const [error, setError] = useState<string | null>(null);
  const [expired, setExpired] = useState(takeRefusedBeforeMount);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (!token) {
      setViewer(null);
      setPerms([]);
      setLoading(false);
      return;
    }
    let cancelled = false;
    setLoading(!cached(token));
    setError(null);
    (async () => {
      // With a cached session the page is already up: refresh it a moment
      // later, off the page's critical path.
      if (cached(token)) await new Promise((r) => setTimeout(r, 1500));
      if (cancelled) return;
      // Refused: with a cached session the page is up and asks to sign in
      // again over it, keeping the viewer and permissions it has; without
      // one the sign-in page shows (at the same URL, so the user lands where
      // they were going).
      const refused = () => {
        if (cached(token)) setExpired(true);
        else {
          setToken(null);
          setTok(null);
        }
        setLoading(false);
      };
      const me = await client.query(MeDoc, {}, { requestPolicy: 'network-only' }).toPromise();
      if (cancelled) return;
      if (me.error && isUnauthenticated(me.error)) return refused();
      if (me.error || !me.data) {
        setError(errorText(me.error) || 'no viewer');
        setViewer(null);
        setLoading(false);
        return;
      }
      const results = await Promise.all(
        me.data.me.roles.map((role) => client.query(PermissionsDoc, { role }, { requestPolicy: 'network-only' }).toPromise()),
      );
      if (cancelled) return;
      // The token can end between the two reads: that is no answer about the
      // roles (read as none, it put up 你的角色无权打开此页面 under the dialog,
      // unmounting the page and what was typed into it, and cached no permissions).
      if (results.some((r) => r.error && isUnauthenticated(r.error))) return refused();
      const all: Perm[] = [];
      for (const r of results) {
        // A role whose permissions cannot be read gives nothing: the UI then
        // offers less, never more, than the server allows.
        for (const p of r.data?.permissions ?? []) all.push({ resource: p.resource, action: p.action });
      }
      setViewer(me.data.me);
      setPerms(all);
      setLoading(false);
      localStorage.setItem(CACHE_KEY, JSON.stringify({ token, viewer: me.data.me, perms: all }));
    })();
    return () => {
      cancelled = true;
    };
  }, [client, token, generation]);

  const signIn = useCallback((tok: string) => {
    setToken(tok);
    setExpired(false);
    setTok(tok);
  }, []);
  const resume = useCallback((tok: string) => {
    // The cached session moves to the new token first, so nothing reloads
    // and the page keeps what was typed into it.
    const c = cached(getToken()) ?? (viewer ? { viewer, perms } : null);
    if (c) localStorage.setItem(CACHE_KEY, JSON.stringify({ token: tok, viewer: c.viewer, perms: c.perms }));
    setToken(tok);
    setTok(tok);
    setExpired(false);
    setTimeout(() => window.dispatchEvent(new Event(RESUMED_EVENT)), 0);
  }, [viewer, perms]);
  const signOut = useCallback(() => {
    closeOpsSession();
    setToken(null);
    localStorage.removeItem(CACHE_KEY);
    setExpired(false);
    setTok(null);
    setViewer(null);
    setPerms([]);
    onSignOut?.();
  }, [onSignOut]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    // A refused token, or the token cleared in another tab: ask again over the page.
    const refused = () => setExpired(true);
    const storage = (e: StorageEvent) => {
      if (e.key === TOKEN_STORAGE_KEY && !e.newValue) setExpired(true);
    };
    window.addEventListener(UNAUTHENTICATED_EVENT, refused);
    window.addEventListener('storage', storage);
    providersListening++;
    // One that came between the first render and this effect.
    if (takeRefusedBeforeMount()) setExpired(true);
    return () => {
      providersListening--;
      window.removeEventListener(UNAUTHENTICATED_EVENT, refused);
      window.removeEventListener('storage', storage);
    };
  }, []);
  const can = useMemo(() => makeCan(perms), [perms]);

  const value = useMemo(
    () => ({ token, viewer, perms, can, loading, error, expired: expired && !!token, signIn, resume, signOut, reload }),
    [token, viewer, perms, can, loading, error, expired, signIn, resume, signOut, reload],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}

/** The signed-in viewer; only for pages behind the sign-in gate. */
export function useViewer(): Viewer {
  const v = useSession().viewer;
  if (!v) throw new Error('useViewer without a signed-in viewer');
  return v;
}
