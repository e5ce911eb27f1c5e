// The task centre's (待办) arithmetic, kept out of the page so it is tested:
// which tasks each tab asks the API for, how due a task is, its due time in
// words, and what a refused completion says.
import dayjs, { type Dayjs } from 'dayjs';
import type { CombinedError } from 'urql';
import { apiErrors, errorText } from '../api/errors';
import { translate, type Lang, type MessageKey } from '../i18n';

export type TaskTab = 'today' | 'overdue' | 'open' | 'done' | 'cancelled';
export const TASK_TABS: TaskTab[] = ['today', 'overdue', 'open', 'done', 'cancelled'];

/** The tab named in the URL (?tab=), today's when missing or unknown. */
export function parseTab(s: string | null | undefined): TaskTab {
  return TASK_TABS.includes(s as TaskTab) ? (s as TaskTab) : 'today';
}

export type TeamStatus = 'OPEN' | 'DONE' | 'CANCELLED';

/** The 团队 view's status named in the URL (?status=, a notification's link), OPEN when missing or unknown. */
export function parseTeamStatus(s: string | null | undefined): TeamStatus {
  return s === 'DONE' || s === 'CANCELLED' ? s : 'OPEN';
}

/** The end of today in the browser's time zone: the next local midnight. */
export function endOfToday(now: Dayjs = dayjs()): string {
  return now.startOf('day').add(1, 'day').toISOString();
}

export interface TaskVars {
  status: 'OPEN' | 'DONE' | 'CANCELLED';
  dueBefore: string | null;
}

/**
 * What myTasks is asked for a tab: due today is OPEN and due before the end
 * of today (overdue ones included); overdue is OPEN and due before now (the
 * API's `overdue`); all open has no due limit; done is DONE; cancelled is
 * CANCELLED (by the viewer or by whoever else cancelled the viewer's task).
 */
export function tabVariables(tab: TaskTab, now: Dayjs = dayjs()): TaskVars {
  switch (tab) {
    case 'today':
      return { status: 'OPEN', dueBefore: endOfToday(now) };
    case 'overdue':
      return { status: 'OPEN', dueBefore: now.toISOString() };
    case 'open':
      return { status: 'OPEN', dueBefore: null };
    case 'done':
      return { status: 'DONE', dueBefore: null };
    case 'cancelled':
      return { status: 'CANCELLED', dueBefore: null };
  }
}

export type DueState = 'closed' | 'overdue' | 'today' | 'tomorrow' | 'later';

/** How due a task is at now, by the browser's calendar. The API's overdue wins over the clock. */
export function dueState(task: { status: string; dueAt: string; overdue?: boolean }, now: Dayjs = dayjs()): DueState {
  if (task.status !== 'OPEN') return 'closed';
  const due = dayjs(task.dueAt);
  if (task.overdue || !due.isAfter(now)) return 'overdue';
  const midnight = now.startOf('day').add(1, 'day');
  if (due.isBefore(midnight)) return 'today';
  if (due.isBefore(midnight.add(1, 'day'))) return 'tomorrow';
  return 'later';
}

export interface Relative {
  /** 0 when within a minute. */
  n: number;
  unit: 'minute' | 'hour' | 'day';
  past: boolean;
}

/** The distance from now to at: whole minutes below an hour, else the nearest number of hours below a day, else of days. */
export function relative(at: string, now: Dayjs = dayjs()): Relative {
  const mins = dayjs(at).diff(now, 'minute', true);
  const past = mins < 0;
  const m = Math.floor(Math.abs(mins));
  if (m < 60) return { n: m, unit: 'minute', past };
  if (m < 24 * 60) return { n: Math.round(m / 60), unit: 'hour', past };
  return { n: Math.round(m / (24 * 60)), unit: 'day', past };
}

/** The due time in words: "2 小时后到期" / "已逾期 3 天" / "即将到期". */
export function relativeDue(at: string, lang: Lang, now: Dayjs = dayjs()): string {
  const r = relative(at, now);
  if (r.n === 0) return translate(lang, r.past ? 'tasks.dueJustNow' : 'tasks.dueNow');
  return translate(lang, `tasks.${r.past ? 'overdueBy' : 'dueIn'}.${r.unit}` as MessageKey, { n: r.n });
}

export type TaskAction = 'complete' | 'edit' | 'cancel';

/**
 * What a refused completion, edit or cancel says: a task that is no longer
 * OPEN (CONFLICT) and one the viewer no longer sees (NOT_FOUND: given to
 * someone else meanwhile) in the UI's words, other refusals by their code,
 * input errors as the API says them.
 */
export function taskErrorText(err: CombinedError | undefined | null, lang: Lang, action: TaskAction = 'complete'): string {
  const codes = apiErrors(err).map((e) => e.code);
  if (codes.includes('CONFLICT')) return translate(lang, action === 'complete' ? 'tasks.notOpen' : action === 'edit' ? 'tasks.notOpenEdit' : 'tasks.notOpenCancel');
  if (codes.includes('NOT_FOUND')) return translate(lang, 'tasks.gone');
  return errorText(err, lang);
}

/** The completion's refusal text (taskErrorText for 'complete'). */
export function completeErrorText(err: CombinedError | undefined | null, lang: Lang): string {
  return taskErrorText(err, lang, 'complete');
}

/** Whether a tab lists closed tasks (done or cancelled), which show when and with what note they were closed. */
export function closedTab(tab: TaskTab): boolean {
  return tab === 'done' || tab === 'cancelled';
}

/** Whether a refusal means the list is out of date (done, cancelled or moved elsewhere meanwhile). */
export function isStale(err: CombinedError | undefined | null): boolean {
  return apiErrors(err).some((e) => e.code === 'CONFLICT' || e.code === 'NOT_FOUND');
}

export type TaskKindFilter = 'TASK' | 'FOLLOW_UP';

/** The kind named in the URL (?kind=), none (every kind) when missing or unknown. */
export function parseKind(s: string | null | undefined): TaskKindFilter | null {
  return s === 'TASK' || s === 'FOLLOW_UP' ? s : null;
}

export interface EditableTask {
  title: string;
  description: string;
  dueAt: string;
  assignee: { id: string };
}

export interface TaskEdit {
  title: string;
  description?: string | null;
  dueAt: Dayjs;
  assigneeID?: string | null;
}

export interface UpdateTaskVars {
  title?: string;
  description?: string;
  dueAt?: string;
  assigneeID?: string;
}

/**
 * What updateTask is sent for an edit: only what changed (an unchanged due
 * time that has passed is not sent, so a late task keeps it, and the API
 * would refuse a past time); null when nothing changed. The due time is
 * compared to the minute, as the form shows it.
 */
export function updateInput(task: EditableTask, v: TaskEdit): UpdateTaskVars | null {
  const out: UpdateTaskVars = {};
  if (v.title.trim() !== task.title) out.title = v.title;
  const desc = v.description ?? '';
  if (desc.trim() !== task.description.trim()) out.description = desc;
  if (!v.dueAt.isSame(dayjs(task.dueAt), 'minute')) out.dueAt = v.dueAt.second(0).millisecond(0).toISOString();
  if (v.assigneeID && v.assigneeID !== task.assignee.id) out.assigneeID = v.assigneeID;
  return Object.keys(out).length > 0 ? out : null;
}

export type TaskSource = { by: 'user'; name: string } | { by: 'journey'; name: string } | { by: 'none' };

/** Who or what made a task: a user (by hand, or a follow-up's author), a journey, or unknown (made before it was recorded). */
export function taskSource(task: { createdBy?: { name: string } | null; journey?: { name: string } | null }): TaskSource {
  if (task.createdBy) return { by: 'user', name: task.createdBy.name };
  if (task.journey) return { by: 'journey', name: task.journey.name };
  return { by: 'none' };
}
