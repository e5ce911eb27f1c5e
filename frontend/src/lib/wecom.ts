// WeCom (企业微信) pieces of the app kept out of the pages so they are tested:
// the lead's WeCom contacts in the order shown, the member-id field's
// errors in the UI's language; a job's progress is lib/jobs.ts's.
import type { CombinedError } from 'urql';
import { apiErrors, errorMessage, fieldPath, type APIError } from '../api/errors';
import { translate, type Lang } from '../i18n';

export interface WeComContactRow {
  id: string;
  externalUserID: string;
  addedAt: string;
  lostAt?: string | null;
  state: string;
  user: { id: string; name: string };
  /** The contact-way code the add's state names (null: none of this workspace's). */
  contactWay?: { id: string; name: string; deleted: boolean } | null;
}

/**
 * What the lead's WeCom section says of an add's channel: the contact-way
 * code's name when the state is a code's (deleted ones marked), else the raw
 * state (an add through another system's state), else nothing recorded.
 */
export function contactChannel(c: Pick<WeComContactRow, 'state' | 'contactWay'>): { kind: 'code'; name: string; deleted: boolean } | { kind: 'state'; state: string } | { kind: 'none' } {
  if (c.contactWay) return { kind: 'code', name: c.contactWay.name, deleted: c.contactWay.deleted };
  if (c.state) return { kind: 'state', state: c.state };
  return { kind: 'none' };
}

/** Contacts still in place first (earliest add first), then the lost ones (latest loss first). */
export function sortContacts<T extends WeComContactRow>(rows: readonly T[] | null | undefined): T[] {
  const live = (rows ?? []).filter((r) => !r.lostAt).sort((a, b) => (a.addedAt < b.addedAt ? -1 : a.addedAt > b.addedAt ? 1 : 0));
  const lost = (rows ?? []).filter((r) => r.lostAt).sort((a, b) => (a.lostAt! > b.lostAt! ? -1 : a.lostAt! < b.lostAt! ? 1 : 0));
  return [...live, ...lost];
}

/** The member-id input as updateUser takes it: trimmed; "" unlinks; undefined when unchanged. */
export function wecomUserIDInput(value: string | null | undefined, before: string | null | undefined): string | undefined {
  const v = (value ?? '').trim();
  return v === (before ?? '') ? undefined : v;
}

/**
 * Splits the errors of updateUser: those at input.wecomUserID become the
 * member-id field's messages (a CONFLICT — the id belongs to another user —
 * in the UI's language, input errors as the API says them); the rest are
 * returned.
 */
export function wecomUserIDErrors(err: CombinedError | undefined | null, lang: Lang): { field: string[]; rest: APIError[] } {
  const field: string[] = [];
  const rest: APIError[] = [];
  for (const e of apiErrors(err)) {
    if (e.field && fieldPath(e.field)[0] === 'wecomUserID') {
      field.push(e.code === 'CONFLICT' ? translate(lang, 'users.wecomConflict') : errorMessage(e, lang));
    } else rest.push(e);
  }
  return { field, rest };
}

export { jobFinished, jobPercent, type JobProgress, type JobStatus } from './jobs';

/** Whether a failed sync's error says the workspace has no WeCom corp configured. */
export function syncNotConfigured(error: string | null | undefined): boolean {
  return !!error && /corpId|contactSecret/.test(error);
}
