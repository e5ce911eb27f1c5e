// Whether the screen is a phone's (narrower than 768 px), read synchronously
// on the first render (antd's useBreakpoint answers only after a layout
// effect, which would draw a desktop once as a phone) and kept current.
import { useSyncExternalStore } from 'react';

const QUERY = '(max-width: 767px)';

function subscribe(onChange: () => void): () => void {
  const m = window.matchMedia(QUERY);
  m.addEventListener('change', onChange);
  return () => m.removeEventListener('change', onChange);
}

export function useMobile(): boolean {
  return useSyncExternalStore(subscribe, () => window.matchMedia(QUERY).matches, () => false);
}
