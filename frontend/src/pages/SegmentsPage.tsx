import { useEffect, useMemo } from 'react';
import { useNavigate } from 'react-router';
import { App, Button, Empty, Popconfirm, Space, Table, Tag, Tooltip } from 'antd';
import { PlusOutlined, ReloadOutlined, SyncOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { DeleteSegmentDoc, RefreshSegmentDoc, SegmentsDoc } from '../api/ops';
import { errorText } from '../api/errors';
import { useSession } from '../auth/session';
import { useT } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { QueryError } from '../components/QueryError';
import { fmtNumber, fmtTime } from '../lib/format';
import { segmentStatusLabel } from '../lib/labels';
import type { SegmentsQuery } from '../gql/graphql';

type Row = NonNullable<NonNullable<NonNullable<SegmentsQuery['segments']['edges']>[number]>['node']>;

const statusColor: Record<string, string> = { READY: 'green', PENDING: 'default', COMPUTING: 'processing', FAILED: 'red' };

export default function SegmentsPage() {
  const t = useT();
  const navigate = useNavigate();
  const { can } = useSession();
  const { message } = App.useApp();
  const [res, refetch] = useQuery({ query: SegmentsDoc, variables: { first: 200 }, context: useMemo(() => ({ additionalTypenames: ['Segment'] }), []) });
  const [, refresh] = useMutation(RefreshSegmentDoc);
  const [, del] = useMutation(DeleteSegmentDoc);
  const rows = (res.data?.segments.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const busy = rows.some((r) => r.status === 'PENDING' || r.status === 'COMPUTING');
  useEffect(() => {
    if (!busy) return;
    const h = setInterval(() => refetch({ requestPolicy: 'network-only' }), 3000);
    return () => clearInterval(h);
  }, [busy, refetch]);

  return (
    <div>
      <PageTitle
        title={t('segments.title')}
        sub={t('segments.sub')}
        extra={
          <>
            <Button icon={<ReloadOutlined />} onClick={() => refetch({ requestPolicy: 'network-only' })} aria-label={t('common.refresh')} />
            {can('segment', 'write') && (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/segments/new')} data-testid="new-segment">
                {t('segments.new')}
              </Button>
            )}
          </>
        }
      />
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      {busy && (
        <div className="scrm-muted" style={{ marginBottom: 8 }}>
          <SyncOutlined spin /> {t('segments.computing')}{' '}
          <Button size="small" type="link" onClick={() => refetch({ requestPolicy: 'network-only' })}>{t('common.refresh')}</Button>
        </div>
      )}
      <Table<Row>
        rowKey="id"
        dataSource={rows}
        loading={res.fetching && !res.data}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        data-testid="segments-table"
        locale={{ emptyText: <Empty description={t('segments.empty')} /> }}
        onRow={(r) => ({ onClick: () => navigate(`/segments/${r.id}`), style: { cursor: 'pointer' } })}
        columns={[
          { title: t('segments.name'), dataIndex: 'name', render: (v: string, r) => <><b>{v}</b>{r.description && <div className="scrm-muted">{r.description}</div>}</> },
          { title: t('segments.kind'), dataIndex: 'kind', render: (v: string) => <Tag>{v === 'STATIC' ? t('segments.static') : t('segments.dynamic')}</Tag> },
          {
            title: t('segments.status'),
            dataIndex: 'status',
            render: (v: string, r) => (
              <Tooltip title={r.error}>
                <Tag color={statusColor[v]}>{segmentStatusLabel(t, v)}</Tag>
              </Tooltip>
            ),
          },
          { title: t('segments.members'), dataIndex: 'memberCount', align: 'right', render: (v: number) => fmtNumber(v) },
          { title: t('segments.computedAt'), dataIndex: 'computedAt', render: fmtTime },
          { title: t('segments.refreshEvery'), dataIndex: 'refreshEveryMinutes', render: (v: number | null) => (v ? t('segments.everyMinutes', { n: v }) : '—') },
          {
            title: '',
            key: 'actions',
            render: (_: unknown, r) =>
              can('segment', 'write') && (
                <Space onClick={(e) => e.stopPropagation()}>
                  <Button
                    size="small"
                    onClick={async () => {
                      const x = await refresh({ id: r.id });
                      if (x.error) message.error(errorText(x.error));
                      else message.success(t('segments.refreshQueued'));
                    }}
                  >
                    {t('segments.recompute')}
                  </Button>
                  {can('segment', 'delete') && (
                    <Popconfirm
                      title={t('segments.deleteConfirm', { name: r.name })}
                      onConfirm={async () => {
                        const x = await del({ id: r.id });
                        if (x.error) message.error(errorText(x.error));
                        else refetch({ requestPolicy: 'network-only' });
                      }}
                    >
                      <Button size="small" danger>{t('common.delete')}</Button>
                    </Popconfirm>
                  )}
                </Space>
              ),
          },
        ]}
      />
    </div>
  );
}
