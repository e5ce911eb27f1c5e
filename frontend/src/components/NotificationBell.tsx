import { useEffect, useState } from 'react';
import { Badge, Button, Empty, List, Popover, Typography } from 'antd';
import { BellOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { Link } from 'react-router';
import { MarkNotificationsReadDoc, NotificationsDoc } from '../api/ops';
import { useT } from '../i18n';
import { fmtTime } from '../lib/format';

export function NotificationBell() {
  const t = useT();
  // Not needed for the first paint of a page: asked a moment later, then every minute.
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const h = setTimeout(() => setReady(true), 1500);
    return () => clearTimeout(h);
  }, []);
  const [res, refetch] = useQuery({ query: NotificationsDoc, variables: { first: 20 }, pause: !ready });
  useEffect(() => {
    if (!ready) return;
    const h = setInterval(() => refetch({ requestPolicy: 'network-only' }), 60_000);
    return () => clearInterval(h);
  }, [ready, refetch]);
  const [, markRead] = useMutation(MarkNotificationsReadDoc);
  const items = res.data?.notifications ?? [];
  const unread = items.filter((n) => !n.readAt).length;
  const content = (
    <div style={{ width: 340, maxHeight: 420, overflow: 'auto' }}>
      {items.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('notifications.empty')} />
      ) : (
        <List
          size="small"
          dataSource={items}
          renderItem={(n) => (
            <List.Item>
              <List.Item.Meta
                title={
                  <Typography.Text strong={!n.readAt} style={{ fontSize: 13 }}>
                    {n.message}
                  </Typography.Text>
                }
                description={
                  <span>
                    {fmtTime(n.createdAt)}
                    {n.lead && (
                      <>
                        {' · '}
                        <Link to={`/leads/${n.lead.id}`}>{n.lead.name || t('leads.unnamed')}</Link>
                      </>
                    )}
                  </span>
                }
              />
            </List.Item>
          )}
        />
      )}
    </div>
  );
  return (
    <Popover
      trigger="click"
      placement="bottomRight"
      title={
        <div style={{ display: 'flex', justifyContent: 'space-between' }}>
          <span>{t('notifications.title')}</span>
          {unread > 0 && (
            <Button size="small" type="link" onClick={async () => { await markRead({ ids: null }); refetch({ requestPolicy: 'network-only' }); }}>
              {t('notifications.markAll')}
            </Button>
          )}
        </div>
      }
      content={content}
    >
      <Badge count={unread} size="small">
        <Button type="text" icon={<BellOutlined />} aria-label={t('notifications.title')} />
      </Badge>
    </Popover>
  );
}
