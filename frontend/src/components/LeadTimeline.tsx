// The lead page's 时间线: every kind of history of one lead in one list
// (Lead.timeline), newest first, with kind filter chips and 加载更多.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Alert, Button, Card, Empty, Flex, Skeleton, Tag, Timeline, Typography } from 'antd';
import {
  ApiOutlined, DollarOutlined, MessageOutlined, PhoneOutlined, SwapOutlined, UserSwitchOutlined, WechatOutlined,
} from '@ant-design/icons';
import { useClient, type CombinedError } from 'urql';
import { LeadTimelineDoc } from '../api/timelineOps';
import { errorText } from '../api/errors';
import { useT } from '../i18n';
import { fmtTime } from '../lib/format';
import {
  TIMELINE_KINDS, TIMELINE_PAGE, actorName, appendPage, describeItem, itemColor, kindsVariable, timelineKindLabel, type TimelineItemView,
} from '../lib/timeline';
import type { TimelineKind } from '../gql/graphql';

const ICONS: Record<TimelineKind, ReactNode> = {
  FOLLOW_UP: <PhoneOutlined />,
  STAGE_CHANGE: <SwapOutlined />,
  OWNER_CHANGE: <UserSwitchOutlined />,
  DEAL: <DollarOutlined />,
  EVENT: <ApiOutlined />,
  MESSAGE: <MessageOutlined />,
  WECOM: <WechatOutlined />,
};

/** refreshKey: a value that changes when the lead page reloaded the lead (a follow-up or deal was added). */
export function LeadTimeline({ leadID, refreshKey }: { leadID: string; refreshKey?: unknown }) {
  const t = useT();
  const client = useClient();
  const [chosen, setChosen] = useState<TimelineKind[]>([]);
  const [items, setItems] = useState<TimelineItemView[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<CombinedError | null>(null);
  const request = useRef(0);
  const kinds = kindsVariable(chosen);
  const kindsKey = kinds ? kinds.join(',') : '';

  const load = useCallback(async (after: string | null) => {
    const mine = ++request.current;
    setLoading(true);
    const res = await client
      .query(LeadTimelineDoc, { id: leadID, first: TIMELINE_PAGE, after, kinds: kindsKey ? (kindsKey.split(',') as TimelineKind[]) : null }, { requestPolicy: 'network-only' })
      .toPromise();
    if (mine !== request.current) return; // a newer filter or refresh won
    setLoading(false);
    setError(res.error ?? null);
    const node = res.data?.node;
    const conn = node && node.__typename === 'Lead' ? node.timeline : null;
    if (!conn) return;
    const page = conn.edges.map((e) => e.node as TimelineItemView);
    setItems((shown) => (after ? appendPage(shown, page) : page));
    setCursor(conn.pageInfo.endCursor ?? null);
    setHasMore(conn.pageInfo.hasNextPage);
  }, [client, leadID, kindsKey]);

  useEffect(() => {
    void load(null);
  }, [load, refreshKey]);

  const toggle = (k: TimelineKind, on: boolean) => setChosen((c) => (on ? [...c, k] : c.filter((x) => x !== k)));

  return (
    <Card title={t('timeline.title')} style={{ marginTop: 16 }} data-testid="lead-timeline">
      <Flex wrap gap={4} style={{ marginBottom: 16 }} data-testid="timeline-filters">
        <Tag.CheckableTag checked={chosen.length === 0} onChange={() => setChosen([])} data-testid="timeline-filter-ALL">
          {t('timeline.all')}
        </Tag.CheckableTag>
        {TIMELINE_KINDS.map((k) => (
          <Tag.CheckableTag key={k} checked={chosen.includes(k)} onChange={(on) => toggle(k, on)} data-testid={`timeline-filter-${k}`}>
            {timelineKindLabel(t, k)}
          </Tag.CheckableTag>
        ))}
      </Flex>
      {error && <Alert type="error" showIcon title={errorText(error)} style={{ marginBottom: 12 }} />}
      {loading && items.length === 0 ? (
        <Skeleton active paragraph={{ rows: 4 }} />
      ) : items.length === 0 ? (
        <Empty description={t('timeline.empty')} />
      ) : (
        <Timeline
          data-testid="timeline-items"
          items={items.map((it) => {
            const { title, detail } = describeItem(t, it);
            const who = actorName(t, it);
            return {
              key: it.id,
              color: itemColor(it),
              icon: ICONS[it.kind],
              content: (
                <div data-testid="timeline-item" data-id={it.id} data-kind={it.kind} style={{ overflowWrap: 'anywhere' }}>
                  <div className="scrm-muted" style={{ fontSize: 12 }}>{fmtTime(it.at)}</div>
                  <Tag>{timelineKindLabel(t, it.kind)}</Tag>
                  <span>{title}</span>
                  {who && <span className="scrm-muted"> · {who}</span>}
                  {detail && (
                    <Typography.Paragraph className="scrm-muted" style={{ whiteSpace: 'pre-wrap', margin: '4px 0 0' }} ellipsis={{ rows: 3, expandable: true }}>
                      {detail}
                    </Typography.Paragraph>
                  )}
                </div>
              ),
            };
          })}
        />
      )}
      {items.length > 0 && (
        <div style={{ textAlign: 'center' }}>
          {hasMore ? (
            <Button loading={loading} onClick={() => void load(cursor)} data-testid="timeline-more">{t('timeline.loadMore')}</Button>
          ) : (
            <span className="scrm-muted" data-testid="timeline-end">{t('timeline.end')}</span>
          )}
        </div>
      )}
    </Card>
  );
}
