// The leads list on a phone: one card per lead (name, company, phone,
// owner, stage, tier and score, tags) instead of a table to scroll sideways.
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { Card, List, Space, Tag, Typography } from 'antd';
import { PhoneOutlined, UserOutlined } from '@ant-design/icons';
import type { LeadRow } from './columns';
import { fmtTime } from '../../lib/format';

export function LeadCards({ rows, loading, empty }: { rows: LeadRow[]; loading: boolean; empty: ReactNode }) {
  return (
    <List
      loading={loading}
      dataSource={rows}
      locale={{ emptyText: empty }}
      data-testid="leads-cards"
      renderItem={(r) => (
        <List.Item style={{ padding: '4px 0', border: 0 }}>
          <Card size="small" style={{ width: '100%' }} data-testid="lead-card">
            <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
              <Link to={`/leads/${r.id}`} data-testid="lead-link" style={{ fontWeight: 600, minWidth: 0, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                {r.name || r.company || '—'}
              </Link>
              <Space size={4}>
                {r.tier && <Tag color="blue" style={{ marginInlineEnd: 0 }}>{r.tier}</Tag>}
                <Tag style={{ marginInlineEnd: 0 }}>{r.score}</Tag>
              </Space>
            </div>
            {r.company && r.name && <div className="scrm-muted" style={{ fontSize: 12 }}>{r.company}</div>}
            <Space size={12} wrap style={{ marginTop: 4, fontSize: 13 }}>
              {r.phone && <a href={`tel:${r.phone}`}><PhoneOutlined /> {r.phone}</a>}
              <Typography.Text type="secondary"><UserOutlined /> {r.owner?.name ?? '—'}</Typography.Text>
              {r.stage && <Tag color={r.stage.color || undefined}>{r.stage.name}</Tag>}
            </Space>
            {(r.tags ?? []).length > 0 && (
              <div style={{ marginTop: 4 }}>
                {(r.tags ?? []).map((tg) => <Tag key={tg.id} color={tg.color || undefined}>{tg.name}</Tag>)}
              </div>
            )}
            <div className="scrm-muted" style={{ fontSize: 12, marginTop: 2 }}>{fmtTime(r.createdAt)}</div>
          </Card>
        </List.Item>
      )}
    />
  );
}
