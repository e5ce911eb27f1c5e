import { describe, expect, it } from 'vitest';
import { assigneeOptions } from './taskForm';

const users = [
  { id: 'm', name: '经理', active: true, team: { id: 't1', name: '一组', manager: { id: 'm' } } },
  { id: 'a', name: '甲', active: true, team: { id: 't1', name: '一组', manager: { id: 'm' } } },
  { id: 'b', name: '乙', active: false, team: { id: 't1', name: '一组', manager: { id: 'm' } } },
  { id: 'c', name: '丙', active: true, team: { id: 't2', name: '二组', manager: { id: 'x' } } },
  { id: 'd', name: '丁', active: true, team: null },
];

describe('assigneeOptions', () => {
  it('offers a manager itself and the active members of its teams', () => {
    expect(assigneeOptions(users, { id: 'm', roles: ['manager'] }, '我')).toEqual([
      { value: 'm', label: '我' },
      { value: 'a', label: '甲（一组）' },
    ]);
  });
  it('offers an admin every active user', () => {
    expect(assigneeOptions(users, { id: 'z', roles: ['admin'] }, '我').map((o) => o.value)).toEqual(['z', 'm', 'a', 'c', 'd']);
  });
  it('offers nothing without a viewer', () => {
    expect(assigneeOptions(users, null, '我')).toEqual([]);
  });
});
