// The leads list on a phone: one card per lead (name, company, phone,
// owner, stage, tier and score, tags) instead of a table to scroll sideways.
// With onSelect the cards can be selected for bulk actions: 选择 (or a long
// press on a card) shows a check box on each card, a tap then selects the
// card instead of opening it, and 全选本页 selects the page; 完成 ends it
// and clears the selection.
import { useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { Button, Card, Checkbox, List, Space, Tag, Typography } from 'antd';
import { CheckSquareOutlined, PhoneOutlined, UserOutlined } from '@ant-design/icons';
import type { LeadRow } from './columns';
import { fmtTime } from '../../lib/format';
import { useT } from '../../i18n';
import { byName } from '../../lib/collate';

interface Props {
  rows: LeadRow[];
  loading: boolean;
  empty: ReactNode;
  /** The selected lead ids (with onSelect). */
  selected?: string[];
  /** Cards can be selected; called with the new selection. */
  onSelect?: (ids: string[]) => void;
}

const LONG_PRESS_MS = 500;

export function LeadCards({ rows, loading, empty, selected = [], onSelect }: Props) {
  const t = useT();
  const [picking, setPicking] = useState(false);
  const press = useRef<{ timer: ReturnType<typeof setTimeout>; fired: boolean } | null>(null);
  const chosen = new Set(selected);
  const toggle = (id: string) => onSelect?.(chosen.has(id) ? selected.filter((x) => x !== id) : [...selected, id]);
  const allOnPage = rows.length > 0 && rows.every((r) => chosen.has(r.id));

  // A long press starts selecting with the card pressed.
  const pressStart = (id: string) => {
    if (!onSelect || picking) return;
    const p = { fired: false, timer: setTimeout(() => {
      p.fired = true;
      setPicking(true);
      onSelect([id]);
    }, LONG_PRESS_MS) };
    press.current = p;
  };
  const pressEnd = () => {
    if (press.current && !press.current.fired) clearTimeout(press.current.timer);
  };

  const header = onSelect && rows.length > 0 ? (
    <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 8 }}>
      {picking ? (
        <Checkbox
          checked={allOnPage}
          indeterminate={!allOnPage && selected.length > 0}
          onChange={(e) => onSelect(e.target.checked ? rows.map((r) => r.id) : [])}
          data-testid="cards-select-page"
        >
          {t('bulkEdit.pickPage')}
        </Checkbox>
      ) : (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('bulkEdit.pickHint')}</Typography.Text>
      )}
      <Button
        size="small"
        type={picking ? 'primary' : 'default'}
        icon={picking ? undefined : <CheckSquareOutlined />}
        onClick={() => {
          if (picking) onSelect([]);
          setPicking(!picking);
        }}
        data-testid="cards-select-toggle"
      >
        {picking ? t('bulkEdit.pickDone') : t('bulkEdit.pick')}
      </Button>
    </div>
  ) : undefined;

  return (
    <List
      loading={loading}
      dataSource={rows}
      header={header}
      split={false}
      locale={{ emptyText: empty }}
      data-testid="leads-cards"
      renderItem={(r) => {
        const on = chosen.has(r.id);
        const title = r.name || r.company || '—';
        const titleStyle = { fontWeight: 600, minWidth: 0, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } as const;
        return (
          <List.Item style={{ padding: '4px 0', border: 0 }}>
            <Card
              size="small"
              style={{ width: '100%', ...(picking && on ? { borderColor: 'var(--ant-color-primary, #1677ff)', background: 'var(--ant-color-primary-bg, #e6f4ff)' } : {}) }}
              data-testid="lead-card"
              data-selected={picking ? String(on) : undefined}
              onClick={picking ? () => {
                // The click that ends a long press has selected the card already.
                if (press.current?.fired) press.current = null;
                else toggle(r.id);
              } : undefined}
              onPointerDown={() => pressStart(r.id)}
              onPointerUp={pressEnd}
              onPointerLeave={pressEnd}
              onPointerCancel={pressEnd}
              onContextMenu={onSelect ? (e) => e.preventDefault() : undefined}
            >
              <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
                <div style={{ display: 'flex', alignItems: 'center', gap: 8, minWidth: 0 }}>
                  {picking && (
                    <Checkbox checked={on} onClick={(e) => e.stopPropagation()} onChange={() => toggle(r.id)} data-testid="lead-card-check" aria-label={title} />
                  )}
                  {picking ? (
                    <span style={titleStyle}>{title}</span>
                  ) : (
                    <Link
                      to={`/leads/${r.id}`}
                      data-testid="lead-link"
                      style={titleStyle}
                      onClick={(e) => {
                        // The end of a long press selects; it does not open the lead.
                        if (press.current?.fired) e.preventDefault();
                      }}
                    >
                      {title}
                    </Link>
                  )}
                </div>
                <Space size={4}>
                  {r.tier && <Tag color="blue" style={{ marginInlineEnd: 0 }}>{r.tier}</Tag>}
                  <Tag style={{ marginInlineEnd: 0 }}>{r.score}</Tag>
                </Space>
              </div>
              {r.company && r.name && <div className="scrm-muted" style={{ fontSize: 12 }}>{r.company}</div>}
              <Space size={12} wrap style={{ marginTop: 4, fontSize: 13 }}>
                {r.phone && <a href={`tel:${r.phone}`} onClick={picking ? (e) => e.preventDefault() : undefined}><PhoneOutlined /> {r.phone}</a>}
                <Typography.Text type="secondary"><UserOutlined /> {r.owner?.name ?? '—'}</Typography.Text>
                {r.stage && <Tag color={r.stage.color || undefined}>{r.stage.name}</Tag>}
              </Space>
              {(r.tags ?? []).length > 0 && (
                <div style={{ marginTop: 4 }}>
                  {byName(r.tags ?? []).map((tg) => <Tag key={tg.id} color={tg.color || undefined}>{tg.name}</Tag>)}
                </div>
              )}
              <div className="scrm-muted" style={{ fontSize: 12, marginTop: 2 }}>{fmtTime(r.createdAt)}</div>
            </Card>
          </List.Item>
        );
      }}
    />
  );
}
