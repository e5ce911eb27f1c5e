// Why a lead was not claimed or assigned, in the UI's language.
import type { TFunc } from '../i18n';
import { fmtTime } from './format';

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
}

/**
 * The line under a failure's reason: said from the failure's figures in the
 * UI's language where the API gives them, else the API's own text (enrol and
 * bulk failures, codes without figures).
 */
export function failureDetail(t: TFunc, f: Failure): string {
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
  return f.message;
}
