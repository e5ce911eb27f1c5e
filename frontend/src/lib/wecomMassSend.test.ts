import { describe, expect, it } from 'vitest';
import { earliest, memberState, reminderNote, reminderRefusal } from './wecomMassSend';

const counts = { planned: 0, waiting: 0, done: 0, expired: 0, failed: 0, cancelled: 0 };

describe('memberState', () => {
  it('is waiting while any template waits for the member, then planned, sent, expired, failed, cancelled', () => {
    expect(memberState({ ...counts, waiting: 1, done: 2 })).toBe('waiting');
    expect(memberState({ ...counts, planned: 1, done: 1 })).toBe('planned');
    expect(memberState({ ...counts, done: 1, expired: 1 })).toBe('sent');
    expect(memberState({ ...counts, expired: 1 })).toBe('expired');
    expect(memberState({ ...counts, failed: 1, cancelled: 1 })).toBe('failed');
    expect(memberState({ ...counts, cancelled: 1 })).toBe('cancelled');
  });
});

describe('reminderNote', () => {
  const r = { reminded: 0, alreadySent: 0, atLimit: 0, refused: 0, errors: [] as string[] };
  it('says who was reminded, and warns when WeCom refused some', () => {
    expect(reminderNote({ ...r, reminded: 2, alreadySent: 1 })).toMatchObject({ level: 'success', key: 'massSend.reminded', vars: { n: 2, sent: 1 } });
    expect(reminderNote({ ...r, reminded: 1, refused: 1, errors: ['lisi: errcode 41063'] })).toMatchObject({ level: 'warning', detail: ['lisi: errcode 41063'] });
  });
  it('says there was nothing to remind, or that WeCom refused them all', () => {
    expect(reminderNote({ ...r, alreadySent: 2 }).key).toBe('massSend.allSent');
    expect(reminderNote(r).key).toBe('massSend.nothing');
    expect(reminderNote({ ...r, refused: 1, errors: ['x'] })).toMatchObject({ level: 'error', key: 'massSend.refusedAll', detail: ['x'] });
  });
});

describe('reminderRefusal', () => {
  it("reads WeCom's limit with the time the API gives, or the earliest known", () => {
    const limit = {
      code: 'LIMIT_EXCEEDED', field: 'broadcastID',
      message: 'WeCom allows 3 reminders of a mass message in 24 hours and every unsent one had them; the next is possible after 2026-12-05T02:00:00Z',
    };
    expect(reminderRefusal([limit])).toEqual({ level: 'warning', key: 'massSend.limitUntil', vars: { at: '2026-12-05T02:00:00Z' } });
    expect(reminderRefusal([{ ...limit, message: 'limit' }], '2026-12-05T03:00:00Z')).toMatchObject({ vars: { at: '2026-12-05T03:00:00Z' } });
    expect(reminderRefusal([{ ...limit, message: 'limit' }])).toMatchObject({ key: 'massSend.limit' });
  });
  it('tells not started from finished, and another channel', () => {
    expect(reminderRefusal([{ code: 'CONFLICT', message: 'the broadcast has not started: no member has a mass message to send yet' }])?.key).toBe('massSend.notStarted');
    expect(reminderRefusal([{ code: 'CONFLICT', message: 'the broadcast is DONE: there is nothing left to remind' }])?.key).toBe('massSend.final');
    expect(reminderRefusal([{ code: 'BAD_USER_INPUT', message: 'the broadcast is on channel "sms"' }])?.key).toBe('massSend.notMassSend');
    expect(reminderRefusal([{ code: 'INTERNAL_SERVER_ERROR', message: 'x' }])).toBeNull();
  });
  it('earliest picks the first time', () => {
    expect(earliest([null, '2026-12-05T03:00:00Z', '2026-12-05T01:00:00Z'])).toBe('2026-12-05T01:00:00Z');
    expect(earliest([null, undefined])).toBeNull();
  });
});
