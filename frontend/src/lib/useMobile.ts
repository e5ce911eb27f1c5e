// Whether the screen is a phone's (narrower than 768 px), read synchronously
// on the first render (antd's useBreakpoint answers only after a layout
// effect, which would draw a desktop once as a phone) and kept current.
import { useCallback, useSyncExternalStore } from 'react';

/** Whether the media query matches now, kept current as it changes. */
export function useMediaQuery(query: string): boolean {
  const subscribe = useCallback(
    (onChange: () => void) => {
      const m = window.matchMedia(query);
      m.addEventListener('change', onChange);
      return () => m.removeEventListener('change', onChange);
    },
    [query],
  );
  return useSyncExternalStore(subscribe, () => window.matchMedia(query).matches, () => false);
}

export function useMobile(): boolean {
  return useMediaQuery('(max-width: 767px)');
}
