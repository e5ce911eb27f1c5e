// Why a lead was not claimed, assigned, enrolled or changed, in the UI's language.
import type { TFunc } from '../i18n';
import { fmtTime } from './format';
import { failureLabel, failureReasonLabel } from './labels';

/** A refusal of one lead as the API gives it (claimLeads, assignLeads, bulk and enrol failures). */
export interface Failure {
  leadID: string;
  code: string;
  /** The API's English text. */
  message: string;
  /** COOLDOWN: when the lead may be claimed again; PROTECTED: when its protection ends. */
  until?: string | null;
  /** DAILY_LIMIT: the limit reached; OVER_CAPACITY: the capacity. */
  limit?: number | null;
  /** NOT_ALLOWED, and a pool's DAILY_LIMIT: the pool's name. */
  pool?: string | null;
  /** A finer reason where the code has several (an enrolment's CONFLICT: ENROLLED, …). */
  reason?: string | null;
}

/** The label of the failure's finer reason, or null when it has none this UI knows. */
function reasonLabel(t: TFunc, f: Pick<Failure, 'reason'>): string | null {
  const out = f.reason ? failureReasonLabel(t, f.reason) : null;
  return out && out !== f.reason ? out : null;
}

/** The failure's reason in a word or two: its finer reason's, where it has one the UI knows, else its code's. */
export function failureTitle(t: TFunc, f: Pick<Failure, 'code' | 'reason'>): string {
  return reasonLabel(t, f) ?? failureLabel(t, f.code);
}

/**
 * Codes whose title says all there is to say when the API gives no figures:
 * who may do what, what exists, a change made by someone else meanwhile.
 */
const SAID_BY_TITLE = new Set([
  'NOT_FOUND', 'FORBIDDEN', 'INACTIVE', 'ALREADY_OWNED', 'NOT_IN_POOL', 'NOT_ALLOWED',
  'OVER_CAPACITY', 'DAILY_LIMIT', 'COOLDOWN', 'PROTECTED', 'CONFLICT', 'NOT_ACTIVE_USER',
]);

/**
 * The line under a failure's reason, in the UI's language: said from the
 * failure's figures where the API gives them; nothing where the title
 * (failureTitle: the finer reason's or the code's) says it all. Only input
 * errors (BAD_USER_INPUT without a reason this UI knows), codes this UI does
 * not know and reasons it does not know keep the API's own text, which names
 * the value and the rule it breaks.
 */
export function failureDetail(t: TFunc, f: Failure): string {
  if (reasonLabel(t, f)) return '';
  switch (f.code) {
    case 'COOLDOWN':
      if (f.until) return t('failure.detail.COOLDOWN', { time: fmtTime(f.until) });
      break;
    case 'PROTECTED':
      if (f.until) return t('failure.detail.PROTECTED', { time: fmtTime(f.until) });
      break;
    case 'DAILY_LIMIT':
      if (f.limit != null && f.pool) return t('failure.detail.DAILY_LIMIT_POOL', { limit: f.limit, pool: f.pool });
      if (f.limit != null) return t('failure.detail.DAILY_LIMIT', { limit: f.limit });
      break;
    case 'OVER_CAPACITY':
      if (f.limit != null) return t('failure.detail.OVER_CAPACITY', { limit: f.limit });
      break;
    case 'NOT_ALLOWED':
      if (f.pool) return t('failure.detail.NOT_ALLOWED', { pool: f.pool });
      break;
  }
  return SAID_BY_TITLE.has(f.code) && !f.reason ? '' : f.message;
}

/** A failure in one line (a CSV cell, a tooltip): its title, and its detail where it has one. */
export function failureText(t: TFunc, f: Failure): string {
  const detail = failureDetail(t, f);
  return detail ? t('failure.line', { title: failureTitle(t, f), detail }) : failureTitle(t, f);
}
