import { describe, expect, it } from 'vitest';
import { act, renderHook } from '@testing-library/react';
import { useKeyedCursors } from './useKeyedCursors';

describe('useKeyedCursors', () => {
  it('goes forward by end cursors and back, page by page', () => {
    const { result } = renderHook(() => useKeyedCursors('all'));
    expect(result.current).toMatchObject({ page: 0, after: null });
    act(() => result.current.next('c1'));
    expect(result.current).toMatchObject({ page: 1, after: 'c1' });
    act(() => result.current.next('c2'));
    expect(result.current).toMatchObject({ page: 2, after: 'c2' });
    act(() => result.current.prev());
    expect(result.current).toMatchObject({ page: 1, after: 'c1' });
    // No end cursor (the last page): stays.
    act(() => result.current.next(null));
    expect(result.current).toMatchObject({ page: 1, after: 'c1' });
    act(() => result.current.prev());
    act(() => result.current.prev());
    expect(result.current).toMatchObject({ page: 0, after: null });
  });

  it('starts another filter on page one, and that filter pages on its own', () => {
    const { result, rerender } = renderHook(({ k }) => useKeyedCursors(k), { initialProps: { k: 'all' } });
    act(() => result.current.next('c1'));
    rerender({ k: 'unread' });
    expect(result.current).toMatchObject({ page: 0, after: null });
    act(() => result.current.next('u1'));
    expect(result.current).toMatchObject({ page: 1, after: 'u1' });
    // Back to the first filter: page one again, not its old page.
    rerender({ k: 'all' });
    expect(result.current).toMatchObject({ page: 0, after: null });
  });
});
