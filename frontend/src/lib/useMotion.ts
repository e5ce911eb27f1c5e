// Honours the system's "reduce motion" setting (prefers-reduced-motion):
// antd's opening, closing and moving animations are switched off for users
// who asked for less motion (vestibular disorders, slow machines), and for
// the browser tests, whose Chromium asks for it so a click never lands on a
// dialog that is still zooming in. The App's one ConfigProvider takes it as
// its `motion` token: a second, outer ConfigProvider would be a second theme,
// whose design tokens and CSS variables antd derives and injects at run time
// on every load (the App's theme is zero-runtime: its styles are static).
import { useMediaQuery } from './useMobile';

/** Whether antd's animations are on (the system does not ask for reduced motion). */
export function useMotion(): boolean {
  return !useMediaQuery('(prefers-reduced-motion: reduce)');
}
