import { useEffect, useState } from 'react';
import { Badge, Button, Empty, List, Popover, Typography } from 'antd';
import { BellOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { Link } from 'react-router';
import { MarkNotificationsReadDoc, NotificationsDoc } from '../api/ops';
import { UnreadNotificationCountDoc } from '../api/notificationOps';
import { useT } from '../i18n';
import { fmtTime } from '../lib/format';
import { NOTIFICATIONS_READ_EVENT, notificationTarget } from '../lib/notifications';
import { useSession } from '../auth/session';

export function NotificationBell() {
  const t = useT();
  const { can } = useSession();
  // Not needed for the first paint of a page: asked a moment later, then every minute.
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const h = setTimeout(() => setReady(true), 1500);
    return () => clearTimeout(h);
  }, []);
  const [res, refetchList] = useQuery({ query: NotificationsDoc, variables: { first: 20 }, pause: !ready });
  // The badge counts every unread one, also beyond the 20 listed.
  const [count, refetchCount] = useQuery({ query: UnreadNotificationCountDoc, pause: !ready });
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!ready) return;
    const again = () => {
      refetchList({ requestPolicy: 'network-only' });
      refetchCount({ requestPolicy: 'network-only' });
    };
    const h = setInterval(again, 60_000);
    // The notifications page marked some read.
    window.addEventListener(NOTIFICATIONS_READ_EVENT, again);
    return () => {
      clearInterval(h);
      window.removeEventListener(NOTIFICATIONS_READ_EVENT, again);
    };
  }, [ready, refetchList, refetchCount]);
  const [, markRead] = useMutation(MarkNotificationsReadDoc);
  const items = res.data?.notifications ?? [];
  const unread = count.data?.unreadNotificationCount ?? items.filter((n) => !n.readAt).length;
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
                    {(() => {
                      const to = notificationTarget(n, can);
                      if (!to) return null;
                      const text = to.what === 'lead' ? n.lead?.name || t('leads.unnamed') : to.what === 'tasks' ? t('notifications.openTasks') : t('notifications.openTags');
                      return (
                        <>
                          {' · '}
                          <Link to={to.to} onClick={() => setOpen(false)}>{text}</Link>
                        </>
                      );
                    })()}
                  </span>
                }
              />
            </List.Item>
          )}
        />
      )}
      <div style={{ textAlign: 'center', borderTop: '1px solid rgba(5, 5, 5, 0.06)', paddingTop: 6 }}>
        <Link to="/notifications" onClick={() => setOpen(false)} data-testid="notifications-view-all">{t('notifications.viewAll')}</Link>
      </div>
    </div>
  );
  return (
    <Popover
      trigger="click"
      placement="bottomRight"
      open={open}
      onOpenChange={setOpen}
      title={
        <div style={{ display: 'flex', justifyContent: 'space-between' }}>
          <span>{t('notifications.title')}</span>
          {unread > 0 && (
            <Button size="small" type="link" onClick={async () => { await markRead({ ids: null }); window.dispatchEvent(new Event(NOTIFICATIONS_READ_EVENT)); }}>
              {t('notifications.markAll')}
            </Button>
          )}
        </div>
      }
      content={content}
    >
      <Badge count={unread} size="small">
        <Button type="text" icon={<BellOutlined />} aria-label={t('notifications.title')} data-testid="notifications-bell" />
      </Badge>
    </Popover>
  );
}
