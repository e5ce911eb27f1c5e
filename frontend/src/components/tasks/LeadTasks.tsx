// The lead page's 任务 tab: the lead's open tasks the viewer sees — with
// task manage its own and its teams' members' (tasks(where: {leadID}),
// every kind, promises also before they are due), otherwise its own
// (myTasks(leadID), promises once due) — oldest due first, with who has
// each, when it is due and who or what made it; 新建任务 for this lead, and
// 完成, 编辑 and 取消任务 on each (TaskActions).
import { useMemo, useState } from 'react';
import { App, Button, Empty, List, Space, Tag, Typography, theme } from 'antd';
import { CarryOutOutlined } from '@ant-design/icons';
import { useQuery } from 'urql';
import { LeadMyTasksDoc, LeadTeamTasksDoc } from '../../api/taskOps';
import { useSession } from '../../auth/session';
import { useI18n } from '../../i18n';
import { QueryError } from '../QueryError';
import { fmtTime } from '../../lib/format';
import { taskKindLabel } from '../../lib/labels';
import { relativeDue } from '../../lib/tasks';
import { NewTaskModal } from './NewTaskModal';
import { useTaskActions } from './TaskActions';
import { TaskSourceText } from './TaskSource';
import type { TeamTaskRowFragment } from '../../gql/graphql';

type Row = TeamTaskRowFragment;

/** Scrolls the marked task into view once its row is drawn. */
const scrollTo = (el: HTMLDivElement | null) => el?.scrollIntoView({ block: 'nearest' });

/** The lead's open tasks the viewer sees (see above). */
export function useLeadTasks(leadID: string) {
  const { can } = useSession();
  const read = can('task', 'read');
  const manage = can('task', 'manage');
  const context = useMemo(() => ({ additionalTypenames: ['Task'] }), []);
  const [team, refetchTeam] = useQuery({ query: LeadTeamTasksDoc, variables: { leadID }, pause: !read || !manage, context });
  const [mine, refetchMine] = useQuery({ query: LeadMyTasksDoc, variables: { leadID }, pause: !read || manage, context });
  const res = manage ? team : mine;
  const conn = manage ? team.data?.tasks : mine.data?.myTasks;
  const rows: Row[] = (conn?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const refetch = () => (manage ? refetchTeam : refetchMine)({ requestPolicy: 'network-only' });
  return { read, manage, rows, total: conn?.totalCount ?? 0, fetching: res.fetching, error: res.error, refetch };
}

/**
 * onChanged: after a task changed (a completion's note is a follow-up on the lead); marked: the
 * task a notification opened the page for, shown marked and scrolled into view.
 */
export function LeadTasks({ lead, tasks, onChanged, marked }: { lead: { id: string; name: string }; tasks: ReturnType<typeof useLeadTasks>; onChanged?: () => void; marked?: string | null }) {
  const { t, lang } = useI18n();
  const { can, viewer } = useSession();
  const { message } = App.useApp();
  const [creating, setCreating] = useState(false);
  const { token } = theme.useToken();
  const { actions, dialogs } = useTaskActions(() => {
    tasks.refetch();
    onChanged?.();
  });

  return (
    <div data-testid="lead-tasks" data-loading={tasks.fetching ? 'true' : 'false'}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 8, flexWrap: 'wrap', marginBottom: 8 }}>
        <Typography.Text type="secondary">{t(tasks.manage ? 'tasks.lead.subTeam' : 'tasks.lead.subMine')}</Typography.Text>
        {can('task', 'write') && (
          <Button size="small" icon={<CarryOutOutlined />} onClick={() => setCreating(true)} data-testid="lead-tasks-new">{t('tasks.new')}</Button>
        )}
      </div>
      <QueryError error={tasks.error} retry={tasks.refetch} />
      <List
        loading={tasks.fetching && tasks.rows.length === 0}
        dataSource={tasks.rows}
        locale={{ emptyText: <Empty description={t('tasks.lead.empty')} /> }}
        renderItem={(r) => (
          <List.Item
            style={{ display: 'block', ...(r.id === marked ? { background: token.colorPrimaryBg, paddingInline: 8, borderRadius: token.borderRadius } : {}) }}
            data-testid="lead-task" data-task={r.id} data-marked={r.id === marked ? 'true' : undefined}
            ref={r.id === marked ? scrollTo : undefined}
          >
            <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8, alignItems: 'flex-start' }}>
              <Typography.Text strong style={{ minWidth: 0 }} data-testid="lead-task-title">{r.title}</Typography.Text>
              <Tag color={r.kind === 'FOLLOW_UP' ? 'orange' : 'geekblue'} style={{ marginInlineEnd: 0 }}>{taskKindLabel(t, r.kind)}</Tag>
            </div>
            <Space size={[12, 0]} wrap style={{ fontSize: 13, marginTop: 2 }}>
              <Typography.Text type={r.overdue ? 'danger' : 'secondary'} strong={r.overdue} data-testid="lead-task-due" data-overdue={r.overdue ? 'true' : 'false'}>
                {relativeDue(r.dueAt, lang)} · {fmtTime(r.dueAt)}
              </Typography.Text>
              <Typography.Text type="secondary" data-testid="lead-task-assignee">
                {t('tasks.colAssignee')}：{r.assignee.id === viewer?.id ? t('tasks.me') : r.assignee.name}
              </Typography.Text>
              <Typography.Text type="secondary"><TaskSourceText task={r} /></Typography.Text>
            </Space>
            {r.description && <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }} style={{ margin: '2px 0 0', fontSize: 13 }}>{r.description}</Typography.Paragraph>}
            <div style={{ marginTop: 6 }}>{actions(r)}</div>
          </List.Item>
        )}
      />
      {creating && (
        <NewTaskModal
          lead={lead}
          onClose={() => setCreating(false)}
          onDone={(title) => {
            message.success(t('tasks.created', { title }));
            setCreating(false);
            tasks.refetch();
          }}
        />
      )}
      {dialogs}
    </div>
  );
}
