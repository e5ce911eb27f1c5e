import { useState } from 'react';

/**
 * The pages gone through of a list read by cursor, for the filter listKey
 * names: page i is read with the `after` kept for it under that filter, and
 * another key (another filter or tab) starts on page one. next(endCursor)
 * goes on to the page after the one shown, prev() back one.
 */
export function useKeyedCursors(listKey: string) {
  const [paging, setPaging] = useState<{ key: string; cursors: (string | null)[] }>({ key: listKey, cursors: [null] });
  const cursors = paging.key === listKey ? paging.cursors : [null];
  const update = (f: (c: (string | null)[]) => (string | null)[]) =>
    setPaging((p) => ({ key: listKey, cursors: f(p.key === listKey ? p.cursors : [null]) }));
  const page = cursors.length - 1;
  return {
    page,
    after: cursors[page],
    next: (endCursor: string | null | undefined) => {
      if (endCursor) update((c) => [...c, endCursor]);
    },
    prev: () => update((c) => (c.length > 1 ? c.slice(0, -1) : c)),
  };
}
