// Who or what made a task (来源): the user who made it by hand or promised
// the follow-up, or the journey whose step made it; a dash for tasks made
// before it was recorded.
import { useI18n } from '../../i18n';
import { taskSource } from '../../lib/tasks';

export function TaskSourceText({ task }: { task: { createdBy?: { name: string } | null; journey?: { name: string } | null } }) {
  const { t } = useI18n();
  const s = taskSource(task);
  return (
    <span data-testid="task-source" data-by={s.by}>
      {s.by === 'none' ? t('tasks.source.none') : t(`tasks.source.${s.by}`, { name: s.name })}
    </span>
  );
}
