// A WeCom staff mass send (客户群发) on the broadcast's drawer: each sending
// member's state, and what a reminder (remindWeComMassSend) did or why the
// API refused it, as message keys, kept out of the page so it is tested.
import type { APIError } from '../api/errors';

export interface MemberCounts {
  planned: number;
  waiting: number;
  done: number;
  expired: number;
  failed: number;
  cancelled: number;
}

/** A member's state: waiting while any template waits for them to send it, then planned, sent, expired, failed, cancelled. */
export type MemberState = 'waiting' | 'planned' | 'sent' | 'expired' | 'failed' | 'cancelled';

export function memberState(m: MemberCounts): MemberState {
  if (m.waiting > 0) return 'waiting';
  if (m.planned > 0) return 'planned';
  if (m.done > 0) return 'sent';
  if (m.expired > 0) return 'expired';
  if (m.failed > 0) return 'failed';
  return 'cancelled';
}

export interface ReminderResult {
  reminded: number;
  alreadySent: number;
  atLimit: number;
  refused: number;
  errors: string[];
}

export type Note = { level: 'success' | 'info' | 'warning' | 'error'; key: string; vars?: Record<string, string | number>; detail?: string[] };

/**
 * What a reminder did, for a message: members reminded (with those skipped:
 * sent already, at WeCom's limit, refused by WeCom with its reasons), or
 * nothing to remind when every open template had been sent.
 */
export function reminderNote(r: ReminderResult): Note {
  const vars = { n: r.reminded, sent: r.alreadySent, limit: r.atLimit, refused: r.refused };
  if (r.reminded > 0) return { level: r.refused > 0 ? 'warning' : 'success', key: 'massSend.reminded', vars, detail: r.errors };
  if (r.refused > 0) return { level: 'error', key: 'massSend.refusedAll', vars, detail: r.errors };
  if (r.alreadySent > 0) return { level: 'info', key: 'massSend.allSent', vars };
  return { level: 'info', key: 'massSend.nothing', vars };
}

/**
 * Why the API refused a reminder, said in the UI's words: WeCom's limit of
 * three in 24 hours (with when the next is possible: the API's message, or
 * the earliest nextReminderAt known), not started, already final, not a mass
 * send. null for anything else (shown as the API says it).
 */
export function reminderRefusal(errs: APIError[], nextKnown?: string | null): Note | null {
  const e = errs[0];
  if (!e) return null;
  switch (e.code) {
    case 'LIMIT_EXCEEDED': {
      const at = e.message.match(/possible after (\S+)/)?.[1] ?? nextKnown ?? '';
      return { level: 'warning', key: at ? 'massSend.limitUntil' : 'massSend.limit', vars: { at } };
    }
    case 'CONFLICT':
      if (/not started/.test(e.message)) return { level: 'warning', key: 'massSend.notStarted' };
      return { level: 'warning', key: 'massSend.final' };
    case 'BAD_USER_INPUT':
      return { level: 'error', key: 'massSend.notMassSend' };
  }
  return null;
}

/** The earliest of the times (ISO), or null. */
export function earliest(times: (string | null | undefined)[]): string | null {
  const ts = times.filter((x): x is string => !!x).sort((a, b) => Date.parse(a) - Date.parse(b));
  return ts[0] ?? null;
}
