import { describe, expect, it } from 'vitest';
import { renderHook } from '@testing-library/react';
import { useOpened } from './useOpened';

describe('useOpened', () => {
  it('is false until the first opening and stays true after it', () => {
    const { result, rerender } = renderHook(({ open }) => useOpened(open), { initialProps: { open: false } });
    expect(result.current).toBe(false);
    rerender({ open: false });
    expect(result.current).toBe(false);
    rerender({ open: true });
    expect(result.current).toBe(true);
    rerender({ open: false });
    expect(result.current).toBe(true);
  });

  it('is true at once for a dialog that starts open', () => {
    const { result } = renderHook(() => useOpened(true));
    expect(result.current).toBe(true);
  });
});
