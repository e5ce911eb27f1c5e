// The lead's WeCom section (企业微信): which members have the customer as a
// contact, since when, through which channel (the add's state: a
// contact-way code's; 未记录 when there is none: a direct add), and the
// ones the customer
// deleted (已流失, in red with the date). Nothing when there are none.
import { Card, Tag, Typography } from 'antd';
import { WechatWorkOutlined } from '@ant-design/icons';
import { useT } from '../i18n';
import { fmtTime } from '../lib/format';
import { sortContacts, type WeComContactRow } from '../lib/wecom';

export function WeComContacts({ contacts }: { contacts: readonly WeComContactRow[] | null | undefined }) {
  const t = useT();
  const rows = sortContacts(contacts);
  if (rows.length === 0) return null;
  return (
    <Card
      title={<span><WechatWorkOutlined /> {t('lead.wecom')} ({rows.length})</span>}
      style={{ marginBottom: 16 }}
      data-testid="lead-wecom"
      styles={{ body: { padding: '4px 16px' } }}
    >
      {rows.map((c) => (
        <div
          key={c.id}
          data-testid="wecom-contact"
          data-lost={c.lostAt ? 'true' : 'false'}
          style={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', justifyContent: 'space-between', gap: '4px 12px', padding: '10px 0', borderBottom: '1px solid rgba(5,5,5,0.06)' }}
        >
          <div style={{ minWidth: 0 }}>
            <Typography.Text strong data-testid="wecom-member">{c.user.name}</Typography.Text>
            <div className="scrm-muted" style={{ fontSize: 12 }}>
              <span title={t('lead.wecomAddedAt')}>{t('lead.wecomAddedAt')} {fmtTime(c.addedAt)}</span>
              {' · '}
              <span data-testid="wecom-state">{t('lead.wecomState')}: {c.state || t('lead.wecomStateNone')}</span>
            </div>
          </div>
          {c.lostAt ? (
            <Tag color="red" data-testid="wecom-lost">{t('lead.wecomLostAt', { date: fmtTime(c.lostAt) })}</Tag>
          ) : (
            <Tag color="green">{t('lead.wecomActive')}</Tag>
          )}
        </div>
      ))}
    </Card>
  );
}
