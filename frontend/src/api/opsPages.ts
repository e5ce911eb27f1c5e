// The operator pages beside the web app: GraphiQL (/graphiql, reads the
// session's token itself) and the Asynq queues dashboard (/ops/queues),
// whose own scripts send no token, so the server first sets an HttpOnly
// cookie, only sent to /ops/, from this session's token.
import { getToken } from './client';

/** Opens the queues dashboard; resolves false when the server refuses (not an admin). */
export async function openQueues(): Promise<boolean> {
  const token = getToken();
  const res = await fetch('/ops/session', {
    method: 'POST',
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    credentials: 'same-origin',
  }).catch(() => null);
  if (!res?.ok) return false;
  window.location.assign('/ops/queues');
  return true;
}

/** Clears the dashboard's cookie (on sign-out); failures are ignored. */
export function closeOpsSession(): void {
  if (typeof fetch !== 'function') return;
  void fetch('/ops/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => {});
}
