// Saved views and the column chooser of the leads list.
import { useState } from 'react';
import { App, Button, Checkbox, Divider, Input, Modal, Popover, Select, Space, Tooltip } from 'antd';
import { DeleteOutlined, SaveOutlined, TableOutlined, ArrowUpOutlined, ArrowDownOutlined } from '@ant-design/icons';
import type { LeadView } from '../../lib/savedViews';
import type { ColumnOption } from './columns';
import { useT } from '../../i18n';

interface Props {
  views: LeadView[];
  currentID: string | null;
  onApply: (v: LeadView) => void;
  onSave: (name: string) => void;
  onDelete: (id: string) => void;
  columns: string[];
  options: ColumnOption[];
  onColumns: (c: string[]) => void;
}

export function ViewBar({ views, currentID, onApply, onSave, onDelete, columns, options, onColumns }: Props) {
  const t = useT();
  const { modal } = App.useApp();
  const [saving, setSaving] = useState(false);
  const [name, setName] = useState('');

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

  return (
    <Space wrap>
      <Select
        style={{ minWidth: 200 }}
        placeholder={t('views.pick')}
        value={currentID ?? undefined}
        onChange={(id) => {
          const v = views.find((x) => x.id === id);
          if (v) onApply(v);
        }}
        options={views.map((v) => ({ value: v.id, label: v.name }))}
        notFoundContent={t('views.none')}
        data-testid="view-select"
        popupRender={(menu) => (
          <>
            {menu}
            <Divider style={{ margin: '4px 0' }} />
            <div className="scrm-muted" style={{ padding: '4px 8px', fontSize: 12 }}>
              {t('views.localHint')}
            </div>
          </>
        )}
      />
      {currentID && (
        <Tooltip title={t('views.delete')}>
          <Button
            icon={<DeleteOutlined />}
            onClick={() =>
              modal.confirm({
                title: t('views.deleteConfirm', { name: views.find((v) => v.id === currentID)?.name ?? '' }),
                onOk: () => onDelete(currentID),
              })
            }
          />
        </Tooltip>
      )}
      <Button icon={<SaveOutlined />} onClick={() => setSaving(true)} data-testid="view-save">
        {t('views.save')}
      </Button>
      <Popover trigger="click" placement="bottomRight" title={t('views.columns')} content={chooser}>
        <Button icon={<TableOutlined />} data-testid="column-chooser-button">
          {t('views.columns')}
        </Button>
      </Popover>
      <Modal
        open={saving}
        title={t('views.save')}
        onCancel={() => setSaving(false)}
        okButtonProps={{ disabled: !name.trim() }}
        onOk={() => {
          onSave(name.trim());
          setSaving(false);
          setName('');
        }}
      >
        <Input placeholder={t('views.name')} value={name} onChange={(e) => setName(e.target.value)} maxLength={60} data-testid="view-name" />
        <div className="scrm-muted" style={{ marginTop: 8 }}>{t('views.localHint')}</div>
      </Modal>
    </Space>
  );
}
