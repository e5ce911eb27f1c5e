// Saved views and the column chooser of the leads list. Views are the
// server's (lib/savedViews.ts): the viewer's own, then those others share
// with the workspace; only the owner shares, unshares or replaces a view,
// and a shared view may also be deleted by whoever manages users.
import { useState } from 'react';
import { useOpened } from '../../lib/useOpened';
import { App, Button, Checkbox, Divider, Input, Modal, Popover, Select, Space, Tag, Tooltip } from 'antd';
import {
  DeleteOutlined, SaveOutlined, TableOutlined, ArrowUpOutlined, ArrowDownOutlined, ShareAltOutlined, LockOutlined,
} from '@ant-design/icons';
import type { LeadView } from '../../lib/savedViews';
import type { ColumnOption } from './columns';
import { useT } from '../../i18n';

interface Props {
  views: LeadView[];
  currentID: string | null;
  onApply: (v: LeadView) => void;
  /** Saves the list's state under name; resolves whether it was saved. */
  onSave: (name: string, shared: boolean) => Promise<boolean>;
  onDelete: (id: string) => void;
  onShare: (id: string, shared: boolean) => void;
  /** The viewer may delete views others shared (user manage). */
  canManage: boolean;
  columns: string[];
  options: ColumnOption[];
  onColumns: (c: string[]) => void;
}

export function ViewBar({ views, currentID, onApply, onSave, onDelete, onShare, canManage, columns, options, onColumns }: Props) {
  const t = useT();
  const { modal } = App.useApp();
  const [saving, setSaving] = useState(false);
  const savingOpened = useOpened(saving);
  const [busy, setBusy] = useState(false);
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const current = views.find((v) => v.id === currentID) ?? null;
  const replaces = views.find((v) => v.mine && v.name === name.trim());

  const move = (key: string, d: -1 | 1) => {
    const i = columns.indexOf(key);
    const j = i + d;
    if (i < 0 || j < 0 || j >= columns.length) return;
    const next = [...columns];
    [next[i], next[j]] = [next[j], next[i]];
    onColumns(next);
  };
  const chooser = (
    <div style={{ width: 280, maxHeight: 420, overflow: 'auto' }} data-testid="column-chooser">
      {options.map((o) => {
        const on = columns.includes(o.key);
        return (
          <div key={o.key} style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', padding: '2px 0' }}>
            <Checkbox
              checked={on}
              disabled={o.key === 'name'}
              onChange={(e) => onColumns(e.target.checked ? [...columns, o.key] : columns.filter((c) => c !== o.key))}
              data-testid={`column-${o.key}`}
            >
              {o.label}
            </Checkbox>
            {on && (
              <Space size={0}>
                <Button size="small" type="text" icon={<ArrowUpOutlined />} onClick={() => move(o.key, -1)} aria-label="up" />
                <Button size="small" type="text" icon={<ArrowDownOutlined />} onClick={() => move(o.key, 1)} aria-label="down" />
              </Space>
            )}
          </div>
        );
      })}
    </div>
  );

  const mine = views.filter((v) => v.mine);
  const others = views.filter((v) => !v.mine);
  const option = (v: LeadView) => ({
    value: v.id,
    label: (
      <span data-testid="view-option" data-name={v.name}>
        {v.name}
        {v.mine && v.shared && <Tag style={{ marginLeft: 6 }} color="blue">{t('views.sharedTag')}</Tag>}
        {!v.mine && <span className="scrm-muted" style={{ marginLeft: 6 }}>{v.ownerName}</span>}
      </span>
    ),
    title: v.name,
  });
  const groups = [
    ...(mine.length ? [{ label: t('views.mine'), options: mine.map(option) }] : []),
    ...(others.length ? [{ label: t('views.shared'), options: others.map(option) }] : []),
  ];

  return (
    <Space wrap>
      <Select
        style={{ minWidth: 200 }}
        placeholder={t('views.pick')}
        value={current ? current.id : undefined}
        onChange={(id) => {
          const v = views.find((x) => x.id === id);
          if (v) onApply(v);
        }}
        options={groups}
        labelRender={(o) => views.find((v) => v.id === o.value)?.name ?? o.label}
        notFoundContent={t('views.none')}
        data-testid="view-select"
        popupRender={(menu) => (
          <>
            {menu}
            <Divider style={{ margin: '4px 0' }} />
            <div className="scrm-muted" style={{ padding: '4px 8px', fontSize: 12, maxWidth: 320 }}>
              {t('views.serverHint')}
            </div>
          </>
        )}
      />
      {current?.mine && (
        <Tooltip title={current.shared ? t('views.unshare') : t('views.share')}>
          <Button
            icon={current.shared ? <LockOutlined /> : <ShareAltOutlined />}
            onClick={() => onShare(current.id, !current.shared)}
            data-testid="view-share"
            aria-label={current.shared ? t('views.unshare') : t('views.share')}
          />
        </Tooltip>
      )}
      {current && (current.mine || (current.shared && canManage)) && (
        <Tooltip title={t('views.delete')}>
          <Button
            icon={<DeleteOutlined />}
            data-testid="view-delete"
            aria-label={t('views.delete')}
            onClick={() =>
              modal.confirm({
                title: t('views.deleteConfirm', { name: current.name }),
                content: current.mine ? undefined : t('views.deleteOthers', { owner: current.ownerName }),
                onOk: () => onDelete(current.id),
              })
            }
          />
        </Tooltip>
      )}
      <Button
        icon={<SaveOutlined />}
        onClick={() => {
          setName(current?.mine ? current.name : '');
          setShared(current?.mine ? current.shared : false);
          setSaving(true);
        }}
        data-testid="view-save"
      >
        {t('views.save')}
      </Button>
      <Popover trigger="click" placement="bottomRight" title={t('views.columns')} content={chooser}>
        <Button icon={<TableOutlined />} data-testid="column-chooser-button">
          {t('views.columns')}
        </Button>
      </Popover>
      {savingOpened && <Modal
        open={saving}
        title={t('views.save')}
        onCancel={() => setSaving(false)}
        okButtonProps={{ disabled: !name.trim(), loading: busy }}
        onOk={async () => {
          setBusy(true);
          const ok = await onSave(name.trim(), shared);
          setBusy(false);
          if (ok) {
            setSaving(false);
            setName('');
          }
        }}
      >
        <Input placeholder={t('views.name')} value={name} onChange={(e) => setName(e.target.value)} maxLength={60} data-testid="view-name" />
        {replaces && <div className="scrm-muted" style={{ marginTop: 8 }} data-testid="view-replaces">{t('views.replaces', { name: replaces.name })}</div>}
        <Checkbox style={{ marginTop: 12 }} checked={shared} onChange={(e) => setShared(e.target.checked)} data-testid="view-shared">
          {t('views.shareWithWorkspace')}
        </Checkbox>
        <div className="scrm-muted" style={{ marginTop: 8 }}>{t('views.serverHint')}</div>
      </Modal>}
    </Space>
  );
}
