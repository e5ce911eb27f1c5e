// The task centre (待办): the viewer's own tasks — SOP journeys' createTask
// steps and the follow-ups they promised — by tab (due today, overdue, all
// open, done, cancelled: a task cancelled by anyone), oldest due first, paged with the connection's cursor. A task
// is completed with an optional note (completeTask), which the API records
// as a follow-up on its lead, changed (编辑: title, description, due time,
// and with task manage the assignee) or cancelled (取消任务, with an optional
// reason); the own tabs filter by kind (?kind=). Each task says who or what
// made it (来源). On a phone the rows are cards. 新建任务 makes a task by
// hand (createTask); users with task manage get a 团队 tab, the tasks of the
// members of the teams they manage (components/tasks).
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { Alert, App, Badge, Button, Card, Empty, List, Select, Table, Tabs, Tag, Typography } from 'antd';
import { PlusOutlined, UserOutlined } from '@ant-design/icons';
import { useQuery } from 'urql';
import dayjs from 'dayjs';
import { MyTasksDoc } from '../api/ops';
import { useSession } from '../auth/session';
import { useI18n } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { useKeyedCursors } from '../lib/useKeyedCursors';
import { CursorPager } from '../components/CursorPager';
import { QueryError } from '../components/QueryError';
import { useTaskCounts } from '../components/TaskButton';
import { NewTaskModal } from '../components/tasks/NewTaskModal';
import { TeamTasks } from '../components/tasks/TeamTasks';
import { useTaskActions } from '../components/tasks/TaskActions';
import { TaskSourceText } from '../components/tasks/TaskSource';
import { closedTab, dueState, parseKind, parseTab, relativeDue, tabVariables, TASK_TABS, type TaskTab } from '../lib/tasks';
import { fmtNumber, fmtTime } from '../lib/format';
import { taskKindLabel } from '../lib/labels';
import { useMobile } from '../lib/useMobile';
import type { TaskRowFragment } from '../gql/graphql';

const PAGE_SIZE = 20;
type Task = TaskRowFragment;

export default function TasksPage() {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const mobile = useMobile();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const canWrite = can('task', 'write');
  const canManage = can('task', 'manage');
  const team = canManage && params.get('tab') === 'team';
  const tab = parseTab(params.get('tab'));
  const kind = parseKind(params.get('kind'));
  const [creating, setCreating] = useState(false);

  // The time the tab's due limits are for: set when a tab is chosen and after a completion. The
  // clock only redraws the due times each minute (a new limit would reload the rows under the user).
  const [now, setNow] = useState(() => dayjs());
  const [clock, setClock] = useState(() => dayjs());
  useEffect(() => {
    const h = setInterval(() => setClock(dayjs()), 60_000);
    return () => clearInterval(h);
  }, []);
  // The pages gone through, for the list's filter: another filter starts on page one.
  const listKey = `${tab}:${kind ?? ''}`;
  const pager = useKeyedCursors(listKey);
  const { page } = pager;

  const variables = useMemo(() => ({ ...tabVariables(tab, now), kind, first: PAGE_SIZE, after: pager.after }), [tab, kind, now, pager.after]);
  const [res, refetch] = useQuery({ query: MyTasksDoc, variables, context: useMemo(() => ({ additionalTypenames: ['Task'] }), []) });
  const counts = useTaskCounts();
  // Only rows of what the tab asks now: not the last tab's (or page's) while the new ones load.
  const fresh = JSON.stringify(res.operation?.variables) === JSON.stringify(variables);
  const loading = res.fetching || !fresh;
  const conn = fresh ? res.data?.myTasks : undefined;
  const rows = useMemo(() => (conn?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])), [conn]);
  const total = conn?.totalCount ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  // A completion that empties the last page goes back one.
  useEffect(() => {
    if (conn && !loading && rows.length === 0 && page > 0) pager.prev();
  }, [conn, loading, rows.length, page]);

  const reload = () => {
    setNow(dayjs());
    setClock(dayjs());
    refetch({ requestPolicy: 'network-only' });
    counts.refresh();
  };
  const { actions: taskActions, dialogs } = useTaskActions(reload);

  const leadCell = (task: Task) =>
    task.lead ? (
      <Link to={`/leads/${task.lead.id}`} data-testid="task-lead">{task.lead.name || task.lead.company || t('leads.unnamed')}</Link>
    ) : (
      <Typography.Text type="secondary" data-testid="task-lead-missing">{t('tasks.leadMissing')}</Typography.Text>
    );
  const dueCell = (task: Task) => {
    const late = dueState(task, clock) === 'overdue';
    return (
      <div data-testid="task-due" data-overdue={late ? 'true' : 'false'}>
        {task.status === 'OPEN' && (
          <Typography.Text type={late ? 'danger' : undefined} strong={late}>{relativeDue(task.dueAt, lang, clock)}</Typography.Text>
        )}
        <div className={late ? undefined : 'scrm-muted'} style={{ fontSize: 12, color: late ? '#cf1322' : undefined }}>{fmtTime(task.dueAt)}</div>
      </div>
    );
  };
  const kindTag = (task: Task) => <Tag color={task.kind === 'FOLLOW_UP' ? 'orange' : 'geekblue'} data-testid="task-kind">{taskKindLabel(t, task.kind)}</Tag>;
  const actions = (task: Task) =>
    taskActions(
      task,
      <Button size="small" disabled={!task.lead} onClick={() => task.lead && navigate(`/leads/${task.lead.id}`)} data-testid="task-open-lead">{t('tasks.openLead')}</Button>,
    );

  const done = closedTab(tab);
  const cancelled = tab === 'cancelled';
  const columns = [
    { title: t('tasks.colTitle'), key: 'title', render: (_: unknown, r: Task) => <Typography.Text strong data-testid="task-title">{r.title}</Typography.Text> },
    { title: t('tasks.colKind'), key: 'kind', width: 110, render: (_: unknown, r: Task) => kindTag(r) },
    { title: t('tasks.colDue'), key: 'due', width: 170, render: (_: unknown, r: Task) => dueCell(r) },
    { title: t('tasks.colLead'), key: 'lead', width: 200, render: (_: unknown, r: Task) => leadCell(r) },
    { title: t('tasks.colSource'), key: 'source', width: 140, render: (_: unknown, r: Task) => <TaskSourceText task={r} /> },
    {
      title: t('tasks.colDescription'), key: 'description',
      render: (_: unknown, r: Task) => <Typography.Paragraph type="secondary" ellipsis={{ rows: 2, tooltip: r.description }} style={{ margin: 0 }}>{r.description}</Typography.Paragraph>,
    },
    ...(done
      ? [
          { title: t(cancelled ? 'tasks.colCancelled' : 'tasks.colCompleted'), key: 'completedAt', width: 150, render: (_: unknown, r: Task) => fmtTime(r.completedAt) },
          { title: t(cancelled ? 'tasks.colCancelledBy' : 'tasks.colCompletedBy'), key: 'completedBy', width: 110, render: (_: unknown, r: Task) => <span data-testid="task-closed-by">{r.completedBy?.name ?? '—'}</span> },
          { title: t(cancelled ? 'tasks.colReason' : 'tasks.colNote'), key: 'note', render: (_: unknown, r: Task) => <span data-testid="task-note-shown">{r.note}</span> },
        ]
      : []),
    { title: t('tasks.colActions'), key: 'actions', width: done ? 110 : 230, render: (_: unknown, r: Task) => actions(r) },
  ];

  const tabLabel = (k: TaskTab): ReactNode => {
    const n = k === 'today' ? counts.due : k === 'overdue' ? counts.overdue : undefined;
    return (
      <span data-testid={`tasks-tab-${k}`}>
        {t(`tasks.tab.${k}`)}
        {n ? <Badge count={n} size="small" color={k === 'overdue' ? '#cf1322' : '#1677ff'} style={{ marginInlineStart: 6 }} /> : null}
      </span>
    );
  };
  const empty = loading ? ' ' : <Empty description={t(`tasks.empty.${tab}`)} />;
  const tabs = [
    ...TASK_TABS.map((k) => ({ key: k as string, label: tabLabel(k) })),
    ...(canManage ? [{ key: 'team', label: <span data-testid="tasks-tab-team">{t('tasks.tab.team')}</span> }] : []),
  ];

  return (
    <div data-testid="tasks" data-tab={team ? 'team' : tab} data-loading={loading ? 'true' : 'false'}>
      <PageTitle
        title={t('tasks.title')}
        sub={t('tasks.sub')}
        extra={canWrite && <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="task-new">{t('tasks.new')}</Button>}
      />
      {!canWrite && <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('tasks.noWrite')} />}
      {creating && (
        <NewTaskModal
          onClose={() => setCreating(false)}
          onDone={(title) => {
            message.success(t('tasks.created', { title }));
            setCreating(false);
            reload();
          }}
        />
      )}
      <Tabs
        activeKey={team ? 'team' : tab}
        onChange={(k) => {
          setNow(dayjs());
          setClock(dayjs());
          const next: Record<string, string> = k === 'today' ? {} : { tab: k };
          if (kind && k !== 'team') next.kind = kind;
          setParams(next, { replace: true });
        }}
        items={tabs}
        data-testid="tasks-tabs"
      />
      {!team && (
        <div style={{ marginBottom: 12 }}>
          <Select
            allowClear placeholder={t('tasks.allKinds')} style={{ width: 160 }} value={kind ?? undefined}
            onChange={(v?: string) => {
              const next = new URLSearchParams(params);
              if (v) next.set('kind', v);
              else next.delete('kind');
              setNow(dayjs());
              setParams(next, { replace: true });
            }}
            options={(['TASK', 'FOLLOW_UP'] as const).map((k) => ({ value: k, label: taskKindLabel(t, k) }))}
            aria-label={t('tasks.kindFilter')}
            data-testid="tasks-filter-kind"
          />
        </div>
      )}
      {team ? <TeamTasks /> : <>
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      {mobile ? (
        <List
          loading={loading}
          dataSource={rows}
          locale={{ emptyText: empty }}
          data-testid="tasks-cards"
          renderItem={(r) => (
            <List.Item style={{ padding: '4px 0', border: 0 }}>
              <Card size="small" style={{ width: '100%' }} data-testid="task-card" data-task={r.id}>
                <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8, alignItems: 'flex-start' }}>
                  <Typography.Text strong style={{ minWidth: 0 }} data-testid="task-title">{r.title}</Typography.Text>
                  {kindTag(r)}
                </div>
                <div style={{ marginTop: 4 }}>{dueCell(r)}</div>
                <div style={{ marginTop: 4, fontSize: 13 }}><UserOutlined /> {leadCell(r)}</div>
                <div style={{ marginTop: 4, fontSize: 12 }} className="scrm-muted"><TaskSourceText task={r} /></div>
                {r.description && <Typography.Paragraph type="secondary" ellipsis={{ rows: 3 }} style={{ margin: '4px 0 0', fontSize: 13 }}>{r.description}</Typography.Paragraph>}
                {done && (
                  <div className="scrm-muted" style={{ fontSize: 12, marginTop: 4 }}>
                    {t(cancelled ? 'tasks.colCancelled' : 'tasks.colCompleted')}: {fmtTime(r.completedAt)}
                    {r.completedBy && <> · {t(cancelled ? 'tasks.colCancelledBy' : 'tasks.colCompletedBy')}: <span data-testid="task-closed-by">{r.completedBy.name}</span></>}
                    {r.note && <div data-testid="task-note-shown">{r.note}</div>}
                  </div>
                )}
                <div style={{ marginTop: 8 }}>{actions(r)}</div>
              </Card>
            </List.Item>
          )}
        />
      ) : (
        <Table<Task>
          rowKey="id"
          size="middle"
          columns={columns}
          dataSource={rows}
          loading={loading}
          pagination={false}
          tableLayout="auto"
          data-testid="tasks-table"
          onRow={(r) => ({ 'data-testid': 'task-row', 'data-task': r.id }) as React.HTMLAttributes<HTMLElement>}
          locale={{ emptyText: empty }}
        />
      )}
      <CursorPager
        testid="tasks"
        total={t('tasks.count', { n: fmtNumber(total) })}
        page={page}
        pages={pages}
        loading={loading}
        hasNext={!!conn?.pageInfo.hasNextPage}
        onPrev={pager.prev}
        onNext={() => pager.next(conn?.pageInfo.endCursor)}
      />
      </>}
      {dialogs}
    </div>
  );
}
