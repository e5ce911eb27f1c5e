// The notifications page (通知, /notifications, the bell's 查看全部): the
// viewer's own notifications newest first, paged with the connection's
// cursor, filtered to 全部/未读 and by kind (?unread=1, ?kind= in the URL:
// Back and reload keep them). Each links to what it is about (its lead, the
// task centre, the tags settings: lib/notifications) and can be marked read;
// 全部已读 marks every one (markNotificationsRead). The bell hears of it
// (NOTIFICATIONS_READ_EVENT) and recounts.
import { useEffect, useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { App, Button, Empty, List, Segmented, Select, Tag, Typography } from 'antd';
import { CheckOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { MarkNotificationsReadDoc } from '../api/ops';
import { NotificationPageDoc } from '../api/notificationOps';
import { errorText } from '../api/errors';
import { useSession } from '../auth/session';
import { useI18n } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { useKeyedCursors } from '../lib/useKeyedCursors';
import { CursorPager } from '../components/CursorPager';
import { QueryError } from '../components/QueryError';
import { fmtNumber, fmtTime } from '../lib/format';
import { notificationKindLabel } from '../lib/labels';
import {
  filterVariables, NOTIFICATION_KINDS, NOTIFICATIONS_READ_EVENT, notificationTarget, parseNotificationFilter,
} from '../lib/notifications';

const PAGE_SIZE = 20;

export default function NotificationsPage() {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const filter = parseNotificationFilter(params);
  const setFilter = (unreadOnly: boolean, kind: string | null) => {
    const next = new URLSearchParams(params);
    if (unreadOnly) next.set('unread', '1');
    else next.delete('unread');
    if (kind) next.set('kind', kind);
    else next.delete('kind');
    setParams(next);
  };
  // The pages gone through, for the list's filter: another filter starts on page one.
  const listKey = `${filter.unreadOnly}:${filter.kind ?? ''}`;
  const pager = useKeyedCursors(listKey);
  const { page } = pager;

  const { unreadOnly, kind } = filter;
  const variables = useMemo(
    () => ({ ...filterVariables({ unreadOnly, kind }), first: PAGE_SIZE, after: pager.after }),
    [unreadOnly, kind, pager.after],
  );
  const [res, refetch] = useQuery({ query: NotificationPageDoc, variables, requestPolicy: 'cache-and-network' });
  const [{ fetching: marking }, markRead] = useMutation(MarkNotificationsReadDoc);
  const fresh = JSON.stringify(res.operation?.variables) === JSON.stringify(variables);
  const loading = res.fetching || !fresh;
  const conn = fresh ? res.data?.notificationPage : undefined;
  const rows = useMemo(() => (conn?.edges ?? []).map((e) => e.node), [conn]);
  const total = conn?.totalCount ?? 0;
  const unread = res.data?.unreadNotificationCount ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  // Marking the last unread ones of a page read under 未读 empties it: go back one.
  useEffect(() => {
    if (conn && !loading && rows.length === 0 && page > 0) pager.prev();
  }, [conn, loading, rows.length, page]);
  // The bell marked them read: show it here too.
  useEffect(() => {
    const again = () => refetch({ requestPolicy: 'network-only' });
    window.addEventListener(NOTIFICATIONS_READ_EVENT, again);
    return () => window.removeEventListener(NOTIFICATIONS_READ_EVENT, again);
  }, [refetch]);

  const mark = async (ids: string[] | null) => {
    const r = await markRead({ ids });
    if (r.error) {
      message.error(errorText(r.error));
      return;
    }
    if (ids === null) message.success(t('notifications.markedAll', { n: fmtNumber(r.data?.markNotificationsRead ?? 0) }));
    window.dispatchEvent(new Event(NOTIFICATIONS_READ_EVENT));
  };

  const kindOptions = [
    { value: '', label: t('notifications.anyKind') },
    ...NOTIFICATION_KINDS.map((k) => ({ value: k, label: notificationKindLabel(t, k) })),
  ];

  return (
    <div>
      <PageTitle
        title={t('notifications.title')}
        sub={t('notifications.sub')}
        extra={
          <>
            <Segmented
              value={filter.unreadOnly ? 'unread' : 'all'}
              onChange={(v) => setFilter(v === 'unread', filter.kind)}
              options={[
                { value: 'all', label: t('notifications.all') },
                { value: 'unread', label: <span data-testid="notifications-unread-tab">{t('notifications.unread')}{unread > 0 ? ` ${unread}` : ''}</span> },
              ]}
              data-testid="notifications-filter"
            />
            <Select
              value={filter.kind ?? ''}
              onChange={(v) => setFilter(filter.unreadOnly, v || null)}
              options={kindOptions}
              style={{ minWidth: 150 }}
              aria-label={t('notifications.anyKind')}
              data-testid="notifications-kind"
            />
            <Button icon={<CheckOutlined />} disabled={unread === 0} loading={marking} onClick={() => void mark(null)} data-testid="notifications-read-all">
              {t('notifications.markAll')}
            </Button>
          </>
        }
      />
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      <List
        loading={loading && !conn}
        dataSource={rows}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={filter.unreadOnly ? t('notifications.noUnread') : t('notifications.empty')} /> }}
        data-testid="notifications-list"
        renderItem={(n) => {
          const target = notificationTarget(n, can);
          return (
            <List.Item key={n.id} data-testid="notification" data-id={n.id} data-kind={n.kind} data-read={n.readAt ? 'true' : 'false'}
              style={{ background: n.readAt ? undefined : 'rgba(22, 119, 255, 0.04)', paddingInline: 12 }}>
              <div style={{ display: 'flex', flexDirection: 'column', gap: 4, width: '100%', minWidth: 0 }}>
                <div style={{ display: 'flex', gap: 8, alignItems: 'baseline' }}>
                  {!n.readAt && <span aria-hidden style={{ width: 8, height: 8, borderRadius: 4, background: '#1677ff', flex: 'none' }} />}
                  <Typography.Text strong={!n.readAt} style={{ overflowWrap: 'anywhere' }} data-testid="notification-message">{n.message}</Typography.Text>
                </div>
                <div style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap', fontSize: 12 }}>
                  <Tag style={{ marginInlineEnd: 0 }}>{notificationKindLabel(t, n.kind)}</Tag>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>{fmtTime(n.createdAt)}</Typography.Text>
                  {target && (
                    <Link to={target.to} data-testid="notification-link">
                      {target.what === 'lead'
                        ? n.lead?.name || t('leads.unnamed')
                        : target.what === 'tasks' ? t('notifications.openTasks') : target.what === 'media' ? t('notifications.openMedia') : t('notifications.openTags')}
                    </Link>
                  )}
                  {!n.readAt && (
                    <Button size="small" type="link" style={{ paddingInline: 0 }} onClick={() => void mark([n.id])} data-testid="notification-read">
                      {t('notifications.markRead')}
                    </Button>
                  )}
                </div>
              </div>
            </List.Item>
          );
        }}
      />
      <CursorPager
        testid="notifications"
        total={t('notifications.total', { n: fmtNumber(total) })}
        page={page}
        pages={pages}
        loading={loading}
        hasNext={!!conn?.pageInfo.hasNextPage}
        onPrev={pager.prev}
        onNext={() => pager.next(conn?.pageInfo.endCursor)}
      />
    </div>
  );
}
