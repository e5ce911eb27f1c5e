import { useEffect, useMemo, useState } from 'react';

/**
 * The rows a list draws: for a page it has not drawn in full yet, only the
 * first `screen` rows (what one screen shows), then, once the browser has
 * painted those, all of them. A page of 50 leads is 450 rc-table cells, and
 * the first screen shows about a third of them: the rows below the fold come
 * a frame later instead of delaying the rows in view.
 *
 * `complete` says whether every row is drawn.
 */
export function useFirstScreen<T>(rows: T[], screen: number): { drawn: T[]; complete: boolean } {
  const [full, setFull] = useState<T[] | null>(null);
  const complete = full === rows || rows.length <= screen;
  useEffect(() => {
    if (complete) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A timeout queued from the next animation frame runs after that frame
    // is painted.
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setFull(rows));
    });
    return () => {
      cancelAnimationFrame(frame);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [rows, complete]);
  const drawn = useMemo(() => (complete ? rows : rows.slice(0, screen)), [rows, complete, screen]);
  return { drawn, complete };
}

/**
 * How many rows of `rowPx` pixels the window shows below `abovePx` pixels of
 * page above the list (at least 10).
 */
export function rowsPerScreen(rowPx: number, abovePx = 0): number {
  const h = typeof window === 'undefined' ? 900 : window.innerHeight;
  return Math.max(10, Math.ceil((h - abovePx) / rowPx));
}
