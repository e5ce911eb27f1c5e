// Honours the system's "reduce motion" setting (prefers-reduced-motion):
// antd's opening, closing and moving animations are switched off for users
// who asked for less motion (vestibular disorders, slow machines), and for
// the browser tests, whose Chromium asks for it so a click never lands on a
// dialog that is still zooming in. The App's own ConfigProvider inherits it.
import { useSyncExternalStore, type ReactNode } from 'react';
import { ConfigProvider } from 'antd';

const QUERY = '(prefers-reduced-motion: reduce)';

function subscribe(onChange: () => void): () => void {
  const m = window.matchMedia(QUERY);
  m.addEventListener('change', onChange);
  return () => m.removeEventListener('change', onChange);
}

export function useReducedMotion(): boolean {
  return useSyncExternalStore(subscribe, () => window.matchMedia(QUERY).matches, () => false);
}

export function MotionPreference({ children }: { children: ReactNode }) {
  const reduced = useReducedMotion();
  return <ConfigProvider theme={{ token: { motion: !reduced } }}>{children}</ConfigProvider>;
}
