// The SOP journeys (客户旅程) list: name, status, trigger, version and the
// enrolment counts, newest change first; 新建旅程 and the status actions
// (activate, pause, resume, archive) for those who may write journeys.
import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Button, Empty, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useQuery } from 'urql';
import { JourneysDoc } from '../api/journeyOps';
import { useSession } from '../auth/session';
import { useI18n, type MessageKey } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { QueryError } from '../components/QueryError';
import { StatusButtons, statusColor, useTriggerText } from '../components/journeys/JourneyParts';
import { fmtNumber, fmtTime } from '../lib/format';
import type { JourneysQuery } from '../gql/graphql';

type Row = NonNullable<NonNullable<JourneysQuery['journeys']['edges']>[number]>['node'] & object;

export default function JourneysPage() {
  const { t } = useI18n();
  const { can } = useSession();
  const navigate = useNavigate();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [res, refetch] = useQuery({
    query: JourneysDoc,
    variables: { first: 50, after: cursors[cursors.length - 1] },
    context: useMemo(() => ({ additionalTypenames: ['Journey'] }), []),
  });
  const rows = useMemo(() => (res.data?.journeys.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])), [res.data]);
  const triggerText = useTriggerText();
  const canWrite = can('journey', 'write');

  const columns = [
    {
      title: t('journeys.colName'), key: 'name',
      render: (_: unknown, j: Row) => <Link to={`/journeys/${j.id}`} data-testid="journey-link">{j.name}</Link>,
    },
    {
      title: t('journeys.colStatus'), key: 'status',
      render: (_: unknown, j: Row) => <Tag color={statusColor[j.status]} data-testid="journey-row-status">{t(`journeyStatus.${j.status}` as MessageKey)}</Tag>,
    },
    { title: t('journeys.colTrigger'), key: 'trigger', render: (_: unknown, j: Row) => triggerText(j.trigger) },
    { title: t('journeys.colVersion'), key: 'version', render: (_: unknown, j: Row) => <span className="scrm-nowrap">{t('journey.version', { v: j.version })}</span> },
    { title: t('journeys.colEnrolled'), key: 'enrolled', align: 'right' as const, render: (_: unknown, j: Row) => fmtNumber(j.stats.enrolled) },
    { title: t('journeys.colActive'), key: 'active', align: 'right' as const, render: (_: unknown, j: Row) => fmtNumber(j.stats.active) },
    { title: t('journeys.colCompleted'), key: 'completed', align: 'right' as const, render: (_: unknown, j: Row) => fmtNumber(j.stats.completed) },
    { title: t('journeys.colUpdated'), key: 'updatedAt', render: (_: unknown, j: Row) => <span className="scrm-nowrap">{fmtTime(j.updatedAt)}</span> },
    ...(canWrite
      ? [{ title: t('journeys.colActions'), key: 'actions', render: (_: unknown, j: Row) => <StatusButtons id={j.id} name={j.name} status={j.status} size="small" onDone={() => refetch({ requestPolicy: 'network-only' })} /> }]
      : []),
  ];

  return (
    <div data-testid="journeys">
      <PageTitle
        title={t('journeys.title')}
        sub={t('journeys.sub')}
        extra={canWrite && <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/journeys/new')} data-testid="journeys-new">{t('journeys.new')}</Button>}
      />
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      <Typography.Text type="secondary" style={{ display: 'block', marginBottom: 8 }} data-testid="journeys-count">
        {t('journeys.count', { n: fmtNumber(res.data?.journeys.totalCount ?? 0) })}
      </Typography.Text>
      <Table<Row>
        rowKey="id"
        size="middle"
        columns={columns}
        dataSource={rows}
        loading={res.fetching && !res.data}
        pagination={false}
        scroll={{ x: 'max-content' }}
        onRow={(j) => ({ 'data-testid': 'journey-row', 'data-journey': j.id }) as React.HTMLAttributes<HTMLElement>}
        locale={{ emptyText: res.fetching ? ' ' : <Empty description={t('journeys.empty')} /> }}
      />
      {(cursors.length > 1 || res.data?.journeys.pageInfo.hasNextPage) && (
        <Space style={{ marginTop: 12 }}>
          <Button disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>{t('common.prev')}</Button>
          <Button disabled={!res.data?.journeys.pageInfo.hasNextPage} onClick={() => setCursors((c) => [...c, res.data?.journeys.pageInfo.endCursor ?? null])}>{t('common.next')}</Button>
        </Space>
      )}
    </div>
  );
}
