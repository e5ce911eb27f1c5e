import { useState } from 'react';

/**
 * Whether a dialog has been open: a closed antd Modal still runs its style,
 * token and motion hooks on every render of the page that holds it, so a
 * page mounts its dialogs when they first open and keeps them mounted after
 * (their close animation stays antd's).
 */
export function useOpened(open: boolean): boolean {
  const [opened, setOpened] = useState(open);
  if (open && !opened) setOpened(true);
  return opened || open;
}
