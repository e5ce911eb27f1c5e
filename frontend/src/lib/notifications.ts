// The notifications page's (通知) pure parts: the kinds a user can be told
// about, the URL's filter, and where each notification leads: its lead's
// page, the task centre for tasks, the tags settings for a corp tag change
// WeCom refused, each only when the viewer may open that page.
import { pageRules, type Can } from './permissions';

/** The kinds the services write (internal/notices, tasks, pool, wecom, leads). */
export const NOTIFICATION_KINDS = [
  'lead.assigned',
  'lead.duplicate',
  'task.assigned',
  'task.cancelled',
  'task.given_cancelled',
  'task.overdue',
  'pool.recycle_reminder',
  'pool.recycled',
  'wecom.lost',
  'wecom.corp_tag_failed',
  'wecom.media_failed',
] as const;

/** The filter of the page's URL: ?unread=1 and ?kind=<kind> (an unknown kind is ignored). */
export interface NotificationFilter {
  unreadOnly: boolean;
  kind: string | null;
}

export function parseNotificationFilter(params: URLSearchParams): NotificationFilter {
  const kind = params.get('kind');
  return {
    unreadOnly: params.get('unread') === '1',
    kind: kind && (NOTIFICATION_KINDS as readonly string[]).includes(kind) ? kind : null,
  };
}

/** The query's variables of a filter. */
export function filterVariables(f: NotificationFilter): { unreadOnly: boolean; kinds: string[] | null } {
  return { unreadOnly: f.unreadOnly, kinds: f.kind ? [f.kind] : null };
}

export interface NotificationTarget {
  to: string;
  /** What the link opens: lead (its name is the link's text), tasks, tags or the media library. */
  what: 'lead' | 'tasks' | 'tags' | 'media';
}

/** The task centre's 团队 view of cancelled tasks (TeamTasks reads ?status=). */
export const TEAM_CANCELLED = '/tasks?tab=team&status=CANCELLED';

/**
 * Where a notification leads: the viewer's own cancelled task to the task
 * centre's 已取消 tab; a task the viewer gave someone else and another user
 * cancelled (task.given_cancelled) to the 团队 view's cancelled tasks, where
 * it is (not in the giver's own tabs), for a viewer with task manage; its
 * lead when it names one (assigned, duplicate, recycled, lost in WeCom, a
 * task's lead: then its 任务 tab with the task marked, `?tab=tasks&task=`),
 * else the task centre for a task's, the tags settings for a
 * refused corp tag change, the media library for a medium WeCom refused; null when there is nowhere the viewer may go.
 */
export function notificationTarget(n: { kind: string; lead?: { id: string } | null; task?: { id: string } | null }, can: Can): NotificationTarget | null {
  // A cancelled task is no longer on its lead's page: it is in the task centre's 已取消 tab.
  if (n.kind === 'task.cancelled' && pageRules.tasks(can)) return { to: '/tasks?tab=cancelled', what: 'tasks' };
  if (n.kind === 'task.given_cancelled' && pageRules.tasks(can) && can('task', 'manage')) return { to: TEAM_CANCELLED, what: 'tasks' };
  if (n.lead && pageRules.leads(can)) {
    // An open task is on its lead's 任务 tab; a cancelled one is not.
    const tasksTab = (n.kind === 'task.assigned' || n.kind === 'task.overdue') && pageRules.tasks(can);
    const to = tasksTab ? `/leads/${n.lead.id}?${new URLSearchParams(n.task ? { tab: 'tasks', task: n.task.id } : { tab: 'tasks' })}` : `/leads/${n.lead.id}`;
    return { to, what: 'lead' };
  }
  if (n.kind.startsWith('task.') && n.kind !== 'task.given_cancelled' && pageRules.tasks(can)) return { to: '/tasks', what: 'tasks' };
  if (n.kind === 'wecom.corp_tag_failed' && pageRules['settings.tags'](can)) return { to: '/settings/tags', what: 'tags' };
  if (n.kind === 'wecom.media_failed' && pageRules['wecom.media'](can)) return { to: '/wecom/media', what: 'media' };
  return null;
}

/** The event the page and the bell send each other when notifications were marked read. */
export const NOTIFICATIONS_READ_EVENT = 'scrm:notifications-read';

/** A notification as the bell lists it (the query's and the subscription's fields). */
export interface PushedNotification {
  id: string;
  kind: string;
  message: string;
  createdAt: string;
  readAt?: string | null;
  lead?: { id: string; name: string } | null;
  task?: { id: string } | null;
}

/** How many the bell lists. */
export const BELL_SIZE = 20;

/**
 * The bell's list: the pushed notifications (newest first) that base does not
 * hold yet, on top of base (whose copy, read later, wins), at most BELL_SIZE.
 */
export function mergePushed<T extends { id: string }>(base: readonly T[], ...pushed: T[]): T[] {
  const have = new Set(base.map((n) => n.id));
  const seen = new Set<string>();
  const top = pushed.filter((n) => !have.has(n.id) && !seen.has(n.id) && seen.add(n.id));
  return [...top, ...base].slice(0, BELL_SIZE);
}
