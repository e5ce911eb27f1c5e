import { describe, expect, it } from 'vitest';
import dayjs from 'dayjs';
import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';
import { completeErrorText, dueState, endOfToday, isStale, parseKind, parseTab, parseTeamStatus, relative, relativeDue, tabVariables, taskErrorText, taskSource, updateInput } from './tasks';

// Local times: the tests run in the machine's time zone, and so does the code.
const now = dayjs('2026-12-02T15:30:00');
const at = (s: string) => dayjs(s).toISOString();

describe('task tabs', () => {
  it('reads the tab from the URL, due today by default', () => {
    expect(parseTab('overdue')).toBe('overdue');
    expect(parseTab('done')).toBe('done');
    expect(parseTab('cancelled')).toBe('cancelled');
    expect(parseTab(null)).toBe('today');
    expect(parseTab('everything')).toBe('today');
  });
  it('reads the 团队 view\'s status from the URL (a notification\'s link), OPEN by default', () => {
    expect(parseTeamStatus('CANCELLED')).toBe('CANCELLED');
    expect(parseTeamStatus('DONE')).toBe('DONE');
    expect(parseTeamStatus(null)).toBe('OPEN');
    expect(parseTeamStatus('cancelled')).toBe('OPEN');
  });
  it('asks for OPEN tasks due before the next local midnight for today', () => {
    expect(dayjs(endOfToday(now)).format('YYYY-MM-DD HH:mm:ss')).toBe('2026-12-03 00:00:00');
    expect(tabVariables('today', now)).toEqual({ status: 'OPEN', dueBefore: endOfToday(now) });
  });
  it('asks for OPEN tasks due before now for overdue, no due limit for all open, DONE for done', () => {
    expect(tabVariables('overdue', now)).toEqual({ status: 'OPEN', dueBefore: now.toISOString() });
    expect(tabVariables('open', now)).toEqual({ status: 'OPEN', dueBefore: null });
    expect(tabVariables('done', now)).toEqual({ status: 'DONE', dueBefore: null });
    expect(tabVariables('cancelled', now)).toEqual({ status: 'CANCELLED', dueBefore: null });
  });
});

describe('dueState', () => {
  const open = (dueAt: string, overdue = false) => ({ status: 'OPEN', dueAt: at(dueAt), overdue });
  it('buckets open tasks by the local calendar', () => {
    expect(dueState(open('2026-12-02T09:00:00'), now)).toBe('overdue');
    expect(dueState(open('2026-12-02T15:30:00'), now)).toBe('overdue'); // due this instant
    expect(dueState(open('2026-12-02T23:59:00'), now)).toBe('today');
    expect(dueState(open('2026-12-03T00:00:00'), now)).toBe('tomorrow');
    expect(dueState(open('2026-12-03T23:59:00'), now)).toBe('tomorrow');
    expect(dueState(open('2026-12-04T00:00:00'), now)).toBe('later');
  });
  it("takes the API's overdue over the browser's clock, and closed tasks are never due", () => {
    expect(dueState(open('2026-12-02T16:00:00', true), now)).toBe('overdue');
    expect(dueState({ status: 'DONE', dueAt: at('2026-11-01T09:00:00'), overdue: false }, now)).toBe('closed');
    expect(dueState({ status: 'CANCELLED', dueAt: at('2026-11-01T09:00:00') }, now)).toBe('closed');
  });
});

describe('relative due time', () => {
  it('counts minutes, then hours, then days, both ways', () => {
    expect(relative(at('2026-12-02T15:30:20'), now)).toEqual({ n: 0, unit: 'minute', past: false });
    expect(relative(at('2026-12-02T16:15:00'), now)).toEqual({ n: 45, unit: 'minute', past: false });
    expect(relative(at('2026-12-02T16:29:59'), now)).toEqual({ n: 59, unit: 'minute', past: false });
    expect(relative(at('2026-12-02T18:10:00'), now)).toEqual({ n: 3, unit: 'hour', past: false }); // 2 h 40 min
    expect(relative(at('2026-12-02T18:05:00'), now)).toEqual({ n: 3, unit: 'hour', past: false }); // 2 h 35 min
    expect(relative(at('2026-12-02T17:55:00'), now)).toEqual({ n: 2, unit: 'hour', past: false }); // 2 h 25 min
    expect(relative(at('2026-12-04T15:29:00'), now)).toEqual({ n: 2, unit: 'day', past: false }); // 47 h 59 min, not "1 day"
    expect(relative(at('2026-12-05T15:30:00'), now)).toEqual({ n: 3, unit: 'day', past: false });
    expect(relative(at('2026-12-02T13:10:00'), now)).toEqual({ n: 2, unit: 'hour', past: true });
    expect(relative(at('2026-11-30T10:00:00'), now)).toEqual({ n: 2, unit: 'day', past: true });
  });
  it('says it in both languages', () => {
    expect(relativeDue(at('2026-12-02T18:30:00'), 'zh', now)).toBe('3 小时后到期');
    expect(relativeDue(at('2026-12-02T18:30:00'), 'en', now)).toBe('Due in 3 h');
    expect(relativeDue(at('2026-11-29T15:00:00'), 'zh', now)).toBe('已逾期 3 天');
    expect(relativeDue(at('2026-11-29T15:00:00'), 'en', now)).toBe('3 days overdue');
    expect(relativeDue(at('2026-12-02T15:29:50'), 'zh', now)).toBe('刚刚到期');
  });
});

describe('completeErrorText', () => {
  const err = (message: string, extensions: Record<string, unknown>) => new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions })] });
  it('says a task that is no longer open in the UI language', () => {
    const e = err('task is not open', { code: 'CONFLICT' });
    expect(completeErrorText(e, 'zh')).toBe('该待办已完成或已取消，无法再次完成');
    expect(completeErrorText(e, 'en')).toBe('This task is already done or cancelled');
  });
  it('says refusals by their code and keeps input errors', () => {
    expect(completeErrorText(err('task not found', { code: 'NOT_FOUND' }), 'zh')).toBe('该待办已不在你的可见范围内（可能已转给他人）');
    expect(completeErrorText(err('forbidden', { code: 'FORBIDDEN' }), 'zh')).not.toBe('forbidden');
    expect(completeErrorText(err('note: at most 5000 characters', { code: 'BAD_USER_INPUT', field: 'note' }), 'zh')).toBe('note: at most 5000 characters');
  });
});

describe('taskErrorText', () => {
  const err = (message: string, extensions: Record<string, unknown>) => new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions })] });
  it('says a closed task by the action tried', () => {
    const e = err('the task is cancelled', { code: 'CONFLICT', field: 'id' });
    expect(taskErrorText(e, 'zh', 'edit')).toBe('该待办已完成或已取消，不能再修改');
    expect(taskErrorText(e, 'zh', 'cancel')).toBe('该待办已完成或已取消，不能再取消');
    expect(taskErrorText(e, 'en', 'edit')).toBe('This task is already done or cancelled and cannot be changed');
    expect(isStale(e)).toBe(true);
  });
  it('says a task given away meanwhile, and keeps input errors as the API says them', () => {
    const gone = err('task not found', { code: 'NOT_FOUND', field: 'id' });
    expect(taskErrorText(gone, 'en', 'cancel')).toBe('You no longer see this task (it may have been given to someone else)');
    expect(isStale(gone)).toBe(true);
    const bad = err('the due time has passed', { code: 'BAD_USER_INPUT', field: 'input.dueAt' });
    expect(taskErrorText(bad, 'zh', 'edit')).toBe('the due time has passed');
    expect(isStale(bad)).toBe(false);
  });
});

describe('kind filter', () => {
  it('reads the kind from the URL, none when missing or unknown', () => {
    expect(parseKind('TASK')).toBe('TASK');
    expect(parseKind('FOLLOW_UP')).toBe('FOLLOW_UP');
    expect(parseKind('task')).toBeNull();
    expect(parseKind(null)).toBeNull();
  });
});

describe('updateInput', () => {
  const task = { title: '回访', description: '问预算', dueAt: at('2026-12-01T10:00:00'), assignee: { id: 'a' } };
  const same = { title: '回访', description: '问预算', dueAt: dayjs('2026-12-01T10:00:00'), assigneeID: 'a' };
  it('sends nothing when nothing changed, a past due time included', () => {
    expect(updateInput(task, same)).toBeNull();
    expect(updateInput(task, { ...same, dueAt: dayjs('2026-12-01T10:00:30'), description: '问预算 ' })).toBeNull();
    expect(updateInput(task, { ...same, assigneeID: null })).toBeNull();
  });
  it('sends only what changed', () => {
    expect(updateInput(task, { ...same, title: '回访王总' })).toEqual({ title: '回访王总' });
    expect(updateInput(task, { ...same, description: '' })).toEqual({ description: '' });
    expect(updateInput(task, { ...same, dueAt: dayjs('2026-12-05T09:00:00'), assigneeID: 'b' })).toEqual({
      dueAt: at('2026-12-05T09:00:00'),
      assigneeID: 'b',
    });
  });
});

describe('taskSource', () => {
  it('names the user who made it, else the journey', () => {
    expect(taskSource({ createdBy: { name: '陈静' }, journey: null })).toEqual({ by: 'user', name: '陈静' });
    expect(taskSource({ createdBy: null, journey: { name: '新线索 SOP' } })).toEqual({ by: 'journey', name: '新线索 SOP' });
    expect(taskSource({ createdBy: null, journey: null })).toEqual({ by: 'none' });
  });
});
