// Keyboard shortcuts: "/" searches, "g" then a letter goes to a page, "?"
// shows the help. Keys typed into a field, or with Ctrl/Alt/Meta, are not
// shortcuts. The sequence logic is here, apart from the DOM, to be tested.

export type Action =
  | { kind: 'search' }
  | { kind: 'help' }
  | { kind: 'go'; path: string };

/** The pages "g <key>" opens. */
export const GO: Record<string, string> = {
  h: '/home',
  t: '/tasks',
  l: '/leads',
  m: `/leads?filter=${encodeURIComponent(JSON.stringify({ owner: 'me' }))}`,
  k: '/kanban',
  p: '/pool',
  f: '/funnel',
};

/** How long after "g" the second key counts, in ms. */
export const SEQUENCE_MS = 1200;

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
  /** The element the key went to. */
  target?: { tagName?: string; isContentEditable?: boolean; closest?: (sel: string) => unknown } | null;
}

/** Whether the key went into something that takes text. */
export function typing(e: KeyLike): boolean {
  const t = e.target;
  if (!t) return false;
  const tag = (t.tagName ?? '').toUpperCase();
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || !!t.isContentEditable || !!t.closest?.('[role=combobox],.ant-select,.ant-modal');
}

/** A reader of key presses: feed it keys with their time; it answers the action they complete. */
export function shortcutReader(allowed: (path: string) => boolean = () => true) {
  let pendingG = -Infinity;
  return (e: KeyLike, now: number): Action | null => {
    if (e.ctrlKey || e.altKey || e.metaKey || typing(e)) {
      pendingG = -Infinity;
      return null;
    }
    if (now - pendingG <= SEQUENCE_MS) {
      pendingG = -Infinity;
      const path = GO[e.key.toLowerCase()];
      return path && allowed(path) ? { kind: 'go', path } : null;
    }
    if (e.key === 'g' || e.key === 'G') {
      pendingG = now;
      return null;
    }
    if (e.key === '/') return { kind: 'search' };
    if (e.key === '?') return { kind: 'help' };
    return null;
  };
}
