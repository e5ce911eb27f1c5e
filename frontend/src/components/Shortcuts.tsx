// The keyboard shortcuts of the signed-in app (src/lib/shortcuts.ts) and
// their help overlay, opened with "?".
import { useEffect, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { Modal, Table, Typography } from 'antd';
import { useT } from '../i18n';
import { GO, shortcutReader } from '../lib/shortcuts';
import { useOpened } from '../lib/useOpened';

/** Focuses the leads list's search box once it is on the page. */
function focusSearch(tries = 40) {
  const el = document.querySelector<HTMLInputElement>('[data-testid=quick-search] input');
  if (el) {
    el.focus();
    el.select();
  } else if (tries > 0) setTimeout(() => focusSearch(tries - 1), 50);
}

export function Shortcuts({ allowed }: { allowed: (path: string) => boolean }) {
  const t = useT();
  const navigate = useNavigate();
  const [help, setHelp] = useState(false);
  // The help dialog mounts when first asked for (lib/useOpened).
  const opened = useOpened(help);
  const read = useMemo(() => shortcutReader(allowed), [allowed]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const a = read({ key: e.key, ctrlKey: e.ctrlKey, altKey: e.altKey, metaKey: e.metaKey, target: e.target as HTMLElement }, e.timeStamp);
      if (!a) return;
      e.preventDefault();
      if (a.kind === 'help') setHelp(true);
      else if (a.kind === 'go') navigate(a.path);
      else {
        if (!window.location.pathname.startsWith('/leads') || /^\/leads\/./.test(window.location.pathname)) navigate('/leads');
        focusSearch();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [read, navigate]);

  const rows = [
    { keys: '/', what: t('keys.search') },
    ...Object.entries(GO).filter(([, p]) => allowed(p)).map(([k, p]) => ({ keys: `g ${k}`, what: t('keys.go', { page: pageName(t, p) }) })),
    { keys: '?', what: t('keys.help') },
  ];
  if (!opened) return null;
  return (
    <Modal open={help} onCancel={() => setHelp(false)} footer={null} title={t('keys.title')} data-testid="shortcuts-help">
      <Table
        size="small"
        pagination={false}
        rowKey="keys"
        dataSource={rows}
        columns={[
          { title: t('keys.keys'), dataIndex: 'keys', width: 100, render: (k: string) => k.split(' ').map((x) => <Typography.Text keyboard key={x}>{x}</Typography.Text>) },
          { title: t('keys.what'), dataIndex: 'what' },
        ]}
      />
    </Modal>
  );
}

function pageName(t: ReturnType<typeof useT>, path: string): string {
  if (path.startsWith('/leads?')) return t('nav.myLeads');
  const k = path.slice(1);
  return t(`nav.${k}` as Parameters<typeof t>[0]);
}
