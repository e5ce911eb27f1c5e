// The task centre's (待办) arithmetic, kept out of the page so it is tested:
// which tasks each tab asks the API for, how due a task is, its due time in
// words, and what a refused completion says.
import dayjs, { type Dayjs } from 'dayjs';
import type { CombinedError } from 'urql';
import { apiErrors, errorText } from '../api/errors';
import { translate, type Lang, type MessageKey } from '../i18n';

export type TaskTab = 'today' | 'overdue' | 'open' | 'done';
export const TASK_TABS: TaskTab[] = ['today', 'overdue', 'open', 'done'];

/** The tab named in the URL (?tab=), today's when missing or unknown. */
export function parseTab(s: string | null | undefined): TaskTab {
  return TASK_TABS.includes(s as TaskTab) ? (s as TaskTab) : 'today';
}

/** The end of today in the browser's time zone: the next local midnight. */
export function endOfToday(now: Dayjs = dayjs()): string {
  return now.startOf('day').add(1, 'day').toISOString();
}

export interface TaskVars {
  status: 'OPEN' | 'DONE';
  dueBefore: string | null;
}

/**
 * What myTasks is asked for a tab: due today is OPEN and due before the end
 * of today (overdue ones included); overdue is OPEN and due before now (the
 * API's `overdue`); all open has no due limit; done is DONE.
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

/**
 * What a refused completion says: a task that is no longer OPEN (CONFLICT)
 * in the UI's words, refusals by their code, input errors as the API says them.
 */
export function completeErrorText(err: CombinedError | undefined | null, lang: Lang): string {
  if (apiErrors(err).some((e) => e.code === 'CONFLICT')) return translate(lang, 'tasks.notOpen');
  return errorText(err, lang);
}
