// The header's to-do button: the count of the viewer's open tasks due by
// the end of today (overdue ones included; red when any is overdue), a
// click away from the task centre. Shown only with `task read`.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { Badge, Button, Tooltip } from 'antd';
import { CheckSquareOutlined } from '@ant-design/icons';
import { useQuery } from 'urql';
import dayjs from 'dayjs';
import { TaskCountsDoc } from '../api/ops';
import { useSession } from '../auth/session';
import { useT } from '../i18n';
import { endOfToday } from '../lib/tasks';

/** Open tasks due by the end of today and overdue now, refreshed every minute (and when a task changes). */
export function useTaskCounts(enabled = true) {
  const { can } = useSession();
  // The time the counts are for: the mount, each minute, and refresh().
  const [at, setAt] = useState(() => dayjs());
  useEffect(() => {
    const h = setInterval(() => setAt(dayjs()), 60_000);
    return () => clearInterval(h);
  }, []);
  const variables = useMemo(() => ({ endOfDay: endOfToday(at), now: at.toISOString() }), [at]);
  const [res] = useQuery({
    query: TaskCountsDoc,
    variables,
    pause: !enabled || !can('task', 'read'),
    context: useMemo(() => ({ additionalTypenames: ['Task'] }), []),
  });
  const refresh = useCallback(() => setAt(dayjs()), []);
  // The last answer stays on screen while the next minute's loads.
  const last = useRef<{ due?: number; overdue?: number }>({});
  if (res.data) last.current = { due: res.data.due.totalCount, overdue: res.data.overdue.totalCount };
  return { ...last.current, refresh };
}

export function TaskButton() {
  const t = useT();
  const navigate = useNavigate();
  // Not needed for the first paint of a page: asked a moment later, as the notifications are.
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const h = setTimeout(() => setReady(true), 1200);
    return () => clearTimeout(h);
  }, []);
  const { due, overdue } = useTaskCounts(ready);
  const label = t('tasks.headerButton', { n: due ?? 0 });
  return (
    <Tooltip title={label}>
      <Badge count={due ?? 0} size="small" color={(overdue ?? 0) > 0 ? '#cf1322' : '#1677ff'} data-testid="task-badge">
        <Button type="text" icon={<CheckSquareOutlined />} aria-label={label} onClick={() => navigate('/tasks')} data-testid="task-button" />
      </Badge>
    </Tooltip>
  );
}
