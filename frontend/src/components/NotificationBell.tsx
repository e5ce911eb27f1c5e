import { useCallback, useEffect, useState } from 'react';
import { App, Badge, Button, Empty, List, Popover, Typography } from 'antd';
import { BellOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useSubscription } from 'urql';
import { Link } from 'react-router';
import { MarkNotificationsReadDoc, NotificationsDoc } from '../api/ops';
import { NotificationAddedDoc, UnreadNotificationCountDoc } from '../api/notificationOps';
import { liveIsUp, onLiveChange } from '../api/live';
import { RESUMED_EVENT } from '../api/client';
import { useT } from '../i18n';
import { fmtTime } from '../lib/format';
import { NOTIFICATIONS_READ_EVENT, mergePushed, notificationTarget, type PushedNotification } from '../lib/notifications';
import { useSession } from '../auth/session';

/** How often the bell reads again while the live socket is down. */
export const FALLBACK_POLL_MS = 5 * 60_000;

export function NotificationBell() {
  const t = useT();
  const { can } = useSession();
  const { notification: toast } = App.useApp();
  // Not needed for the first paint of a page: asked a moment later.
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const h = setTimeout(() => setReady(true), 1500);
    return () => clearTimeout(h);
  }, []);
  const [res, refetchList] = useQuery({ query: NotificationsDoc, variables: { first: 20 }, pause: !ready });
  // The badge counts every unread one, also beyond the 20 listed.
  const [count, refetchCount] = useQuery({ query: UnreadNotificationCountDoc, pause: !ready });
  const [open, setOpen] = useState(false);
  // What the live socket pushed since the list was read, newest first, and
  // the unread count it last said (null: the count query's stands).
  const [pushed, setPushed] = useState<PushedNotification[]>([]);
  const [liveCount, setLiveCount] = useState<number | null>(null);
  const [live, setLive] = useState(liveIsUp);
  useEffect(() => onLiveChange(setLive), []);
  const again = useCallback(() => {
    setLiveCount(null);
    refetchList({ requestPolicy: 'network-only' });
    refetchCount({ requestPolicy: 'network-only' });
  }, [refetchList, refetchCount]);
  const showLost = useCallback((n: PushedNotification) => {
    const to = notificationTarget(n, can);
    toast.warning({
      key: n.id,
      message: t('notifications.lostTitle'),
      description: (
        <span data-testid="lost-toast">
          {n.message}
          {to?.what === 'lead' && (
            <>
              {' '}
              <Link to={to.to} onClick={() => toast.destroy(n.id)}>{n.lead?.name || t('leads.unnamed')}</Link>
            </>
          )}
        </span>
      ),
      duration: 0, // a churn alert stays until the rep closes it or follows its link
    });
  }, [can, t, toast]);
  // Pushed: a new notification updates the badge and the list at once; a
  // resync (the first event of every (re)connection) reads both again.
  const [, resubscribe] = useSubscription({ query: NotificationAddedDoc, pause: !ready }, (_prev, data) => {
    const e = data.notificationAdded;
    const n = e.notification;
    if (!n) {
      again();
      setLiveCount(e.unreadCount);
      return data;
    }
    setLiveCount(e.unreadCount);
    setPushed((p) => mergePushed(p, n));
    if (n.kind === 'wecom.lost') showLost(n);
    return data;
  });
  useEffect(() => {
    // Signed in again after the session ended (a refused socket ends the
    // subscription): subscribe again, whose first event recounts.
    const again = () => resubscribe();
    window.addEventListener(RESUMED_EVENT, again);
    return () => window.removeEventListener(RESUMED_EVENT, again);
  }, [resubscribe]);
  useEffect(() => {
    if (!ready) return;
    // Only while the socket is down: a slow poll as the fallback.
    const h = live ? undefined : setInterval(again, FALLBACK_POLL_MS);
    // The notifications page marked some read.
    window.addEventListener(NOTIFICATIONS_READ_EVENT, again);
    return () => {
      clearInterval(h);
      window.removeEventListener(NOTIFICATIONS_READ_EVENT, again);
    };
  }, [ready, live, again]);
  const [, markRead] = useMutation(MarkNotificationsReadDoc);
  const items = mergePushed(res.data?.notifications ?? [], ...pushed);
  const unread = liveCount ?? count.data?.unreadNotificationCount ?? items.filter((n) => !n.readAt).length;
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
                      const text = to.what === 'lead' ? n.lead?.name || t('leads.unnamed') : to.what === 'tasks' ? t('notifications.openTasks') : to.what === 'media' ? t('notifications.openMedia') : t('notifications.openTags');
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
        <Button type="text" icon={<BellOutlined />} aria-label={t('notifications.title')} data-testid="notifications-bell"
          data-unread={unread} data-live={live ? 'up' : 'down'} />
      </Badge>
    </Popover>
  );
}
