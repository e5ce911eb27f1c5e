// The task centre's 团队 tab (task manage): the tasks of the members of the
// teams the viewer manages (everyone's for an admin), filtered by assignee,
// kind and status, oldest due first; rows on a desktop, cards on a phone.
// An open task is completed, changed (reassigned among those the viewer
// manages) or cancelled here as on the own tabs (TaskActions).
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Button, Card, Empty, List, Select, Space, Table, Tag, Typography } from 'antd';
import { LeftOutlined, RightOutlined, UserOutlined } from '@ant-design/icons';
import { useQuery } from 'urql';
import { TaskAssigneesDoc, TeamTasksDoc } from '../../api/taskOps';
import { useSession } from '../../auth/session';
import { useI18n } from '../../i18n';
import { QueryError } from '../QueryError';
import { useTaskActions } from './TaskActions';
import { TaskSourceText } from './TaskSource';
import { assigneeOptions } from '../../lib/taskForm';
import { parseTeamStatus } from '../../lib/tasks';
import { fmtNumber, fmtTime } from '../../lib/format';
import { taskKindLabel } from '../../lib/labels';
import { useMobile } from '../../lib/useMobile';
import type { TaskKind, TaskStatus, TeamTaskRowFragment } from '../../gql/graphql';

const PAGE_SIZE = 20;
type Row = TeamTaskRowFragment;

export function TeamTasks() {
  const { t } = useI18n();
  const { viewer } = useSession();
  const mobile = useMobile();
  const [assignee, setAssignee] = useState<string | undefined>();
  const [kind, setKind] = useState<TaskKind | undefined>();
  // The status filter is the URL's ?status= (OPEN when absent), so that a
  // task.given_cancelled notification's link opens the cancelled tasks, also
  // from this view.
  const [params, setParams] = useSearchParams();
  const status: TaskStatus = parseTeamStatus(params.get('status'));
  const setStatus = (s: TaskStatus) =>
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (s === 'OPEN') next.delete('status');
      else next.set('status', s);
      return next;
    }, { replace: true });
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  // Another status (the filter, or a link followed from here) starts on its first page.
  useEffect(() => setCursors([null]), [status]);
  const page = cursors.length - 1;
  const where = useMemo(() => ({ assigneeID: assignee ?? null, kind: kind ?? null, status }), [assignee, kind, status]);
  const variables = useMemo(() => ({ where, first: PAGE_SIZE, after: cursors[page] }), [where, cursors, page]);
  const [res, refetch] = useQuery({ query: TeamTasksDoc, variables, context: useMemo(() => ({ additionalTypenames: ['Task'] }), []) });
  const [users] = useQuery({ query: TaskAssigneesDoc });
  const options = useMemo(
    () => assigneeOptions((users.data?.users.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])), viewer, t('tasks.me')),
    [users.data, viewer, t],
  );
  const conn = res.data?.tasks;
  const rows = (conn?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const total = conn?.totalCount ?? 0;
  const { actions, dialogs } = useTaskActions(() => refetch({ requestPolicy: 'network-only' }));
  const filter = (f: () => void) => {
    f();
    setCursors([null]);
  };

  const lead = (r: Row) =>
    r.lead ? <Link to={`/leads/${r.lead.id}`} data-testid="team-task-lead">{r.lead.name || r.lead.company || t('leads.unnamed')}</Link> : <Typography.Text type="secondary">—</Typography.Text>;
  const kindTag = (r: Row) => <Tag color={r.kind === 'FOLLOW_UP' ? 'orange' : 'geekblue'}>{taskKindLabel(t, r.kind)}</Tag>;
  const due = (r: Row) => (
    <Typography.Text type={r.overdue ? 'danger' : undefined} strong={r.overdue} data-overdue={r.overdue ? 'true' : 'false'}>{fmtTime(r.dueAt)}</Typography.Text>
  );
  // Who completed or cancelled a closed task, and when (— for an API key's
  // cancel or a promise kept by a later follow-up).
  const closedBy = (r: Row) => (
    <span data-testid="team-task-closed-by">
      {t('tasks.closedBy', { name: r.completedBy?.name ?? '—', at: fmtTime(r.completedAt) })}
    </span>
  );
  const columns = [
    { title: t('tasks.colTitle'), key: 'title', render: (_: unknown, r: Row) => <Typography.Text strong data-testid="team-task-title">{r.title}</Typography.Text> },
    { title: t('tasks.colAssignee'), key: 'assignee', width: 140, render: (_: unknown, r: Row) => <span data-testid="team-task-assignee">{r.assignee.name}</span> },
    { title: t('tasks.colKind'), key: 'kind', width: 110, render: (_: unknown, r: Row) => kindTag(r) },
    { title: t('tasks.colDue'), key: 'due', width: 170, render: (_: unknown, r: Row) => due(r) },
    { title: t('tasks.colLead'), key: 'lead', width: 180, render: (_: unknown, r: Row) => lead(r) },
    { title: t('tasks.colSource'), key: 'source', width: 130, render: (_: unknown, r: Row) => <TaskSourceText task={r} /> },
    { title: t('tasks.colDescription'), key: 'description', render: (_: unknown, r: Row) => <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }} style={{ margin: 0 }}>{r.description}</Typography.Paragraph> },
    ...(status === 'OPEN'
      ? [{ title: t('tasks.colActions'), key: 'actions', width: 230, render: (_: unknown, r: Row) => actions(r) }]
      : [
          { title: t(status === 'CANCELLED' ? 'tasks.colCancelledBy' : 'tasks.colCompletedBy'), key: 'closedBy', width: 170, render: (_: unknown, r: Row) => closedBy(r) },
          ...(status === 'CANCELLED' ? [{ title: t('tasks.colReason'), key: 'note', render: (_: unknown, r: Row) => <span data-testid="team-task-note">{r.note}</span> }] : []),
        ]),
  ];

  return (
    <div data-testid="team-tasks" data-loading={res.fetching ? 'true' : 'false'}>
      <Typography.Paragraph type="secondary">{t('tasks.teamSub')}</Typography.Paragraph>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          allowClear showSearch optionFilterProp="label" placeholder={t('tasks.allAssignees')} style={{ width: mobile ? 160 : 200 }}
          options={options} value={assignee} onChange={(v) => filter(() => setAssignee(v))} data-testid="team-filter-assignee"
        />
        <Select
          allowClear placeholder={t('tasks.allKinds')} style={{ width: 140 }} value={kind} onChange={(v) => filter(() => setKind(v))}
          options={(['TASK', 'FOLLOW_UP'] as const).map((k) => ({ value: k, label: taskKindLabel(t, k) }))} data-testid="team-filter-kind"
        />
        <Select
          style={{ width: 120 }} value={status} onChange={(v) => filter(() => setStatus(v))}
          options={(['OPEN', 'DONE', 'CANCELLED'] as const).map((s) => ({ value: s, label: t(`taskStatus.${s}`) }))} data-testid="team-filter-status"
        />
      </Space>
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      {mobile ? (
        <List
          loading={res.fetching}
          dataSource={rows}
          locale={{ emptyText: <Empty description={t('tasks.empty.team')} /> }}
          renderItem={(r) => (
            <List.Item style={{ padding: '4px 0', border: 0 }}>
              <Card size="small" style={{ width: '100%' }} data-testid="team-task-card" data-task={r.id}>
                <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
                  <Typography.Text strong data-testid="team-task-title">{r.title}</Typography.Text>
                  {kindTag(r)}
                </div>
                <div style={{ marginTop: 4, fontSize: 13 }}><UserOutlined /> <span data-testid="team-task-assignee">{r.assignee.name}</span> · {due(r)}</div>
                <div style={{ marginTop: 4, fontSize: 13 }}>{lead(r)}</div>
                <div style={{ marginTop: 4, fontSize: 12 }} className="scrm-muted"><TaskSourceText task={r} /></div>
                {r.status !== 'OPEN' && (
                  <div style={{ marginTop: 4, fontSize: 12 }} className="scrm-muted">
                    {t(r.status === 'CANCELLED' ? 'tasks.colCancelledBy' : 'tasks.colCompletedBy')}: {closedBy(r)}
                    {r.note && <div data-testid="team-task-note">{r.note}</div>}
                  </div>
                )}
                {r.status === 'OPEN' && <div style={{ marginTop: 8 }}>{actions(r)}</div>}
              </Card>
            </List.Item>
          )}
        />
      ) : (
        <Table<Row>
          rowKey="id" size="middle" columns={columns} dataSource={rows} loading={res.fetching} pagination={false} tableLayout="auto"
          onRow={(r) => ({ 'data-testid': 'team-task-row', 'data-task': r.id }) as React.HTMLAttributes<HTMLElement>}
          locale={{ emptyText: <Empty description={t('tasks.empty.team')} /> }}
        />
      )}
      <div style={{ display: 'flex', justifyContent: 'flex-end', alignItems: 'center', gap: 12, marginTop: 12 }}>
        <Typography.Text type="secondary" data-testid="team-tasks-total">{t('tasks.count', { n: fmtNumber(total) })}</Typography.Text>
        <Button icon={<LeftOutlined />} disabled={page === 0} onClick={() => setCursors((c) => c.slice(0, -1))} aria-label={t('common.prev')} />
        <Button
          icon={<RightOutlined />} disabled={!conn?.pageInfo.hasNextPage} aria-label={t('common.next')}
          onClick={() => conn?.pageInfo.endCursor && setCursors((c) => [...c, conn.pageInfo.endCursor ?? null])}
        />
      </div>
      {dialogs}
    </div>
  );
}
