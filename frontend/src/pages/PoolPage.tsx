// The public pool (公海): unowned leads the viewer may claim. Every lead of a
// claim is checked on its own; refused ones show why (cooldown until a date,
// daily limit, private-pool capacity, protection).
import { useMemo, useState } from 'react';
import { App, Button, Empty, Segmented, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { InboxOutlined, LeftOutlined, RightOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { ClaimBlocksDoc, ClaimLeadsDoc, LeadsCountedDoc } from '../api/ops';
import { WorkloadBar } from '../components/WorkloadBar';
import { errorText } from '../api/errors';
import { useFieldDefs, usePools } from '../api/hooks';
import { useSession } from '../auth/session';
import { useT } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { QueryError } from '../components/QueryError';
import { FailureList, type Failure } from '../components/FailureList';
import { leadColumns, type LeadRow } from '../components/leads/columns';
import { failureLabel } from '../lib/labels';
import { failureDetail } from '../lib/failures';
import { fmtNumber, fmtTime } from '../lib/format';
import { BulkActions } from '../components/leads/BulkActions';
import { useTags, useUsers } from '../api/hooks';
import type { LeadOrderField } from '../gql/graphql';

const COLUMNS = ['name', 'phone', 'source', 'stage', 'tags', 'score', 'tier', 'territory', 'pool', 'createdAt'];

export default function PoolPage() {
  const t = useT();
  const { can } = useSession();
  const { message, modal } = App.useApp();
  const { defs } = useFieldDefs();
  const { pools } = usePools();
  const { tags } = useTags();
  const { users } = useUsers();
  const [poolID, setPoolID] = useState<string | undefined>();
  const [order, setOrder] = useState<'SCORE' | 'CREATED_AT'>('SCORE');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState(0);
  const [selected, setSelected] = useState<string[]>([]);
  const [refused, setRefused] = useState<Record<string, Failure>>({});
  const [{ fetching: claiming }, claim] = useMutation(ClaimLeadsDoc);
  const canClaim = can('lead', 'claim');

  const where = useMemo(() => ({ hasOwner: false, statusIn: ['ACTIVE' as const], locked: false, ...(poolID ? { poolID } : { hasPool: true }) }), [poolID]);
  const [res, refetch] = useQuery({
    query: LeadsCountedDoc,
    variables: { first: 50, after: cursors[page], where, orderBy: { field: order as LeadOrderField, direction: 'DESC' } },
    context: useMemo(() => ({ additionalTypenames: ['Lead'] }), []),
  });
  const conn = res.data?.leads;
  const rows = useMemo(() => (conn?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])) as LeadRow[], [conn]);
  const names = useMemo(() => Object.fromEntries(rows.map((r) => [r.id, r.name || r.id])), [rows]);
  // What would refuse a claim of a row before it is tried (the rep's cooldown,
  // a pool not open to them), read for the page's rows in one query.
  const ids = useMemo(() => rows.map((r) => r.id), [rows]);
  const [blocksRes] = useQuery({ query: ClaimBlocksDoc, variables: { ids }, pause: !canClaim || ids.length === 0, requestPolicy: 'cache-and-network' });
  const blocks = useMemo(() => Object.fromEntries((blocksRes.data?.claimBlocks ?? []).map((b) => [b.leadID, b])), [blocksRes.data]);

  const reset = () => {
    setCursors([null]);
    setPage(0);
    setSelected([]);
  };

  const doClaim = async (ids: string[]) => {
    const r = await claim({ ids });
    if (r.error) {
      message.error(errorText(r.error));
      return;
    }
    const out = r.data!.claimLeads;
    const failed: Record<string, Failure> = {};
    for (const f of out.failures) failed[f.leadID] = f;
    setRefused((prev) => ({ ...prev, ...failed }));
    setSelected([]);
    if (out.claimed.length) message.success(t('pool.claimed', { n: out.claimed.length }));
    if (out.failures.length === 1 && ids.length === 1) {
      const f = out.failures[0];
      modal.warning({
        title: t('pool.refusedTitle', { reason: failureLabel(t, f.code) }),
        content: <span data-testid="claim-refused">{failureDetail(t, f)}</span>,
      });
    } else if (out.failures.length) {
      modal.warning({
        title: t('pool.someRefused', { n: out.failures.length }),
        width: 560,
        content: <FailureList failures={out.failures} names={names} />,
      });
    }
    refetch({ requestPolicy: 'network-only' });
  };

  const columns = [
    ...leadColumns(COLUMNS, t, defs),
    {
      key: 'actions',
      title: '',
      fixed: 'right' as const,
      render: (_: unknown, r: LeadRow) => (
        <Space>
          {blocks[r.id] && !refused[r.id] && (
            <Tag color="default" data-testid="claim-blocked-tag">
              {blocks[r.id].code === 'COOLDOWN' && blocks[r.id].until
                ? t('pool.blockedUntil', { at: fmtTime(blocks[r.id].until) })
                : blocks[r.id].code === 'NOT_ALLOWED' ? t('pool.blockedNotAllowed') : failureLabel(t, blocks[r.id].code)}
            </Tag>
          )}
          {refused[r.id] && (
            <Tooltip title={failureDetail(t, refused[r.id])}>
              <Tag color="orange" data-testid="claim-refused-tag">{failureLabel(t, refused[r.id].code)}</Tag>
            </Tooltip>
          )}
          {canClaim && (
            <Button size="small" type="primary" ghost loading={claiming} disabled={!!blocks[r.id]} onClick={() => doClaim([r.id])} data-testid="claim-one">
              {t('pool.claim')}
            </Button>
          )}
        </Space>
      ),
    },
  ];

  return (
    <div>
      <PageTitle
        title={t('pool.title')}
        sub={t('pool.sub', { n: fmtNumber(conn?.totalCount ?? 0) })}
        extra={
          <>
            <Select
              allowClear
              placeholder={t('pool.allPools')}
              style={{ width: 200 }}
              value={poolID}
              onChange={(v) => {
                setPoolID(v);
                reset();
              }}
              options={pools.map((p) => ({ value: p.id, label: p.name }))}
            />
            <Segmented
              value={order}
              onChange={(v) => {
                setOrder(v as 'SCORE' | 'CREATED_AT');
                reset();
              }}
              options={[
                { value: 'SCORE', label: t('pool.byScore') },
                { value: 'CREATED_AT', label: t('pool.byNewest') },
              ]}
            />
          </>
        }
      />
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      {canClaim && <div style={{ marginBottom: 8 }}><WorkloadBar /></div>}
      <div style={{ minHeight: 32, marginBottom: 8 }}>
        {selected.length > 0 && (
          <Space>
            {canClaim && (
              <Button type="primary" icon={<InboxOutlined />} loading={claiming} onClick={() => doClaim(selected)} data-testid="claim-selected">
                {t('pool.claimSelected', { n: selected.length })}
              </Button>
            )}
            {can('lead', 'assign') && (
              <BulkActions ids={selected} names={names} tags={tags} users={users} onDone={() => { setSelected([]); refetch({ requestPolicy: 'network-only' }); }} />
            )}
          </Space>
        )}
      </div>
      <Table<LeadRow>
        rowKey="id"
        size="middle"
        columns={columns}
        dataSource={rows}
        loading={res.fetching && !res.data}
        pagination={false}
        scroll={{ x: 'max-content' }}
        rowSelection={{ selectedRowKeys: selected, onChange: (k) => setSelected(k as string[]), getCheckboxProps: (r) => ({ disabled: !!blocks[r.id] && !can('lead', 'assign') }) }}
        data-testid="pool-table"
        locale={{ emptyText: res.fetching ? ' ' : <Empty description={t('pool.empty')} /> }}
      />
      <div style={{ display: 'flex', justifyContent: 'flex-end', alignItems: 'center', gap: 12, marginTop: 12 }}>
        <Typography.Text type="secondary">{t('leads.page', { page: page + 1, pages: Math.max(1, Math.ceil((conn?.totalCount ?? 0) / 50)) })}</Typography.Text>
        <Button icon={<LeftOutlined />} disabled={page === 0} onClick={() => setPage((p) => p - 1)} aria-label={t('common.prev')} />
        <Button
          icon={<RightOutlined />}
          disabled={!conn?.pageInfo.hasNextPage}
          onClick={() => {
            setCursors((c) => [...c.slice(0, page + 1), conn?.pageInfo.endCursor ?? null]);
            setPage((p) => p + 1);
          }}
          aria-label={t('common.next')}
        />
      </div>
    </div>
  );
}
