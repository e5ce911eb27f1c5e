import { describe, expect, it } from 'vitest';
import { filterVariables, notificationTarget, parseNotificationFilter, mergePushed, BELL_SIZE } from './notifications';
import { makeCan } from './permissions';

const rep = makeCan([{ resource: 'lead', action: 'read' }, { resource: 'task', action: 'read' }]);
const admin = makeCan([{ resource: '*', action: '*' }]);
const nobody = makeCan([]);

describe('notificationTarget', () => {
  it('opens the lead a notification names', () => {
    expect(notificationTarget({ kind: 'lead.assigned', lead: { id: 'L1' } }, rep)).toEqual({ to: '/leads/L1', what: 'lead' });
    expect(notificationTarget({ kind: 'pool.recycled', lead: { id: 'L2' }, task: null }, rep)).toEqual({ to: '/leads/L2', what: 'lead' });
  });
  it('opens a task\'s lead on its 任务 tab, the task marked', () => {
    expect(notificationTarget({ kind: 'task.overdue', lead: { id: 'L2' }, task: { id: 'T1' } }, rep)).toEqual({ to: '/leads/L2?tab=tasks&task=T1', what: 'lead' });
    expect(notificationTarget({ kind: 'task.assigned', lead: { id: 'L2' }, task: null }, rep)).toEqual({ to: '/leads/L2?tab=tasks', what: 'lead' });
    // Without task read the lead page has no 任务 tab.
    const reader = makeCan([{ resource: 'lead', action: 'read' }]);
    expect(notificationTarget({ kind: 'task.assigned', lead: { id: 'L2' }, task: { id: 'T1' } }, reader)).toEqual({ to: '/leads/L2', what: 'lead' });
  });
  it('opens the task centre\'s cancelled tab for a cancelled task, lead or not', () => {
    expect(notificationTarget({ kind: 'task.cancelled', lead: { id: 'L2' } }, rep)).toEqual({ to: '/tasks?tab=cancelled', what: 'tasks' });
    expect(notificationTarget({ kind: 'task.cancelled', lead: null }, rep)).toEqual({ to: '/tasks?tab=cancelled', what: 'tasks' });
  });
  it('opens the 团队 view\'s cancelled tasks for a task the viewer gave and someone else cancelled', () => {
    const manager = makeCan([{ resource: 'lead', action: 'read' }, { resource: 'task', action: 'read' }, { resource: 'task', action: 'manage' }]);
    expect(notificationTarget({ kind: 'task.given_cancelled', lead: { id: 'L2' } }, manager)).toEqual({ to: '/tasks?tab=team&status=CANCELLED', what: 'tasks' });
    expect(notificationTarget({ kind: 'task.given_cancelled', lead: null }, admin)).toEqual({ to: '/tasks?tab=team&status=CANCELLED', what: 'tasks' });
    // Without task manage there is no 团队 view, and the task is not in the viewer's own tabs: its lead, or nothing.
    expect(notificationTarget({ kind: 'task.given_cancelled', lead: { id: 'L2' } }, rep)).toEqual({ to: '/leads/L2', what: 'lead' });
    expect(notificationTarget({ kind: 'task.given_cancelled', lead: null }, rep)).toBeNull();
  });

  it('opens the task centre for a task without a lead', () => {
    expect(notificationTarget({ kind: 'task.assigned', lead: null }, rep)).toEqual({ to: '/tasks', what: 'tasks' });
  });
  it('opens the tags settings for a refused corp tag change, for who may', () => {
    expect(notificationTarget({ kind: 'wecom.corp_tag_failed' }, admin)).toEqual({ to: '/settings/tags', what: 'tags' });
    expect(notificationTarget({ kind: 'wecom.corp_tag_failed' }, rep)).toBeNull();
    expect(notificationTarget({ kind: 'wecom.media_failed' }, admin)).toEqual({ to: '/wecom/media', what: 'media' });
    expect(notificationTarget({ kind: 'wecom.media_failed' }, rep)).toBeNull();
  });
  it('offers nothing the viewer may not open', () => {
    expect(notificationTarget({ kind: 'lead.assigned', lead: { id: 'L1' } }, nobody)).toBeNull();
    expect(notificationTarget({ kind: 'task.assigned' }, nobody)).toBeNull();
    expect(notificationTarget({ kind: 'pool.recycled' }, admin)).toBeNull();
  });
});

describe('parseNotificationFilter', () => {
  it('reads unread and a known kind from the URL', () => {
    expect(parseNotificationFilter(new URLSearchParams('unread=1&kind=task.overdue'))).toEqual({ unreadOnly: true, kind: 'task.overdue' });
    expect(parseNotificationFilter(new URLSearchParams('kind=nope'))).toEqual({ unreadOnly: false, kind: null });
  });
  it('turns the filter into the query variables', () => {
    expect(filterVariables({ unreadOnly: false, kind: null })).toEqual({ unreadOnly: false, kinds: null });
    expect(filterVariables({ unreadOnly: true, kind: 'wecom.lost' })).toEqual({ unreadOnly: true, kinds: ['wecom.lost'] });
  });
});

describe('mergePushed', () => {
  const n = (id: string, read = false) => ({ id, readAt: read ? 'x' : null });
  it('puts pushed ones the list lacks on top, newest first, and lets the list win', () => {
    expect(mergePushed([n('2', true), n('1')], n('4'), n('3'), n('2'))).toEqual([n('4'), n('3'), n('2', true), n('1')]);
  });
  it('drops a notification pushed twice', () => {
    expect(mergePushed([n('1')], n('2'), n('2'))).toEqual([n('2'), n('1')]);
  });
  it('keeps the bell at its size', () => {
    const list = Array.from({ length: BELL_SIZE }, (_, i) => n(String(i)));
    const out = mergePushed(list, n('new'));
    expect(out).toHaveLength(BELL_SIZE);
    expect(out[0].id).toBe('new');
  });
});
