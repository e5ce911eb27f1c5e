// Honours the system's "reduce motion" setting (prefers-reduced-motion):
// antd's opening, closing and moving animations are switched off for users
// who asked for less motion (vestibular disorders, slow machines), and for
// the browser tests, whose Chromium asks for it so a click never lands on a
// dialog that is still zooming in. The App's own ConfigProvider inherits it.
import type { ReactNode } from 'react';
import { ConfigProvider } from 'antd';
import { useMediaQuery } from '../lib/useMobile';

export function MotionPreference({ children }: { children: ReactNode }) {
  const reduced = useMediaQuery('(prefers-reduced-motion: reduce)');
  return <ConfigProvider theme={{ token: { motion: !reduced } }}>{children}</ConfigProvider>;
}
