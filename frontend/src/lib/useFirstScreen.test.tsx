import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, renderHook } from '@testing-library/react';
import { rowsPerScreen, useFirstScreen } from './useFirstScreen';

const page = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `lead-${from + i}`);

// Runs the frame the hook waits for and the timeout queued from it.
async function paint() {
  await act(async () => {
    vi.advanceTimersByTime(50);
  });
}

describe('useFirstScreen', () => {
  afterEach(() => vi.useRealTimers());

  it('draws one screen of a new page, then the whole page after a paint', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'requestAnimationFrame', 'cancelAnimationFrame'] });
    const first = page(50);
    const { result, rerender } = renderHook(({ rows }) => useFirstScreen(rows, 15), { initialProps: { rows: first } });
    expect(result.current.drawn).toEqual(first.slice(0, 15));
    expect(result.current.complete).toBe(false);
    await paint();
    expect(result.current.drawn).toBe(first);
    expect(result.current.complete).toBe(true);
    // The next page starts over with one screen.
    const second = page(50, 50);
    rerender({ rows: second });
    expect(result.current.drawn).toEqual(second.slice(0, 15));
    await paint();
    expect(result.current.drawn).toBe(second);
  });

  it('draws a page no longer than a screen at once', () => {
    const rows = page(12);
    const { result } = renderHook(() => useFirstScreen(rows, 15));
    expect(result.current.drawn).toBe(rows);
    expect(result.current.complete).toBe(true);
  });

  it('forgets a page replaced before it was drawn in full', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'requestAnimationFrame', 'cancelAnimationFrame'] });
    const first = page(50);
    const { result, rerender } = renderHook(({ rows }) => useFirstScreen(rows, 15), { initialProps: { rows: first } });
    const second = page(30, 100);
    rerender({ rows: second });
    await paint();
    expect(result.current.drawn).toBe(second);
  });

  it('counts the rows of the window, at least 10', () => {
    const h = window.innerHeight;
    expect(rowsPerScreen(h / 20)).toBe(20);
    expect(rowsPerScreen(h)).toBe(10);
    expect(rowsPerScreen(10, h - 150)).toBe(15);
  });
});
