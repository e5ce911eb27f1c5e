// The contact-way code (渠道活码) form's logic, kept out of the page so it is
// tested: which users can be members, the API's input errors placed on the
// form fields they name, and an edit's changed fields (updateContactWay).
import type { CombinedError } from 'urql';
import { apiErrors, fieldPath, type APIError } from '../api/errors';
import type { ContactWayStrategy, UpdateContactWayInput } from '../gql/graphql';

export interface MemberUser {
  id: string;
  name: string;
  active: boolean;
  wecomUserID?: string | null;
}

export interface MemberOption {
  value: string;
  label: string;
  /** Not linked to a WeCom member, or deactivated: cannot be a member. */
  disabled: boolean;
  reason?: 'unlinked' | 'inactive';
}

/**
 * The member choices: every user, those who cannot be members (no WeCom
 * member id, or deactivated) disabled with the reason, after the others.
 */
export function memberOptions(users: MemberUser[]): MemberOption[] {
  const out = users.map<MemberOption>((u) => {
    const reason = !u.active ? 'inactive' : !u.wecomUserID ? 'unlinked' : undefined;
    return { value: u.id, label: u.name, disabled: !!reason, ...(reason ? { reason } : {}) };
  });
  return [...out.filter((o) => !o.disabled), ...out.filter((o) => o.disabled)];
}

/** The form's fields: an API error at input.<field> (or input.<field>[i]) lands on them. */
export const CONTACT_WAY_FIELDS = ['name', 'userIDs', 'strategy', 'source', 'tagIDs', 'welcomeMessage', 'skipVerify', 'poolID'] as const;

export type ContactWayField = (typeof CONTACT_WAY_FIELDS)[number];

export interface FieldErrors {
  name: [ContactWayField];
  errors: string[];
}

/**
 * Splits the errors of a failed createContactWay or updateContactWay: those naming a field of
 * the form become that field's errors (a list element's error,
 * input.userIDs[1], goes on the list's field prefixed with the name of the
 * element the form sent at that index); the rest (CONFLICT, refusals) are
 * returned for an alert.
 */
export function contactWayErrors(
  err: CombinedError | undefined | null,
  sent: { userIDs?: string[]; tagIDs?: string[] },
  names: { users?: Map<string, string>; tags?: Map<string, string> } = {},
): { fields: FieldErrors[]; rest: APIError[] } {
  const byField = new Map<ContactWayField, string[]>();
  const rest: APIError[] = [];
  for (const e of apiErrors(err)) {
    if (!e.field) {
      rest.push(e);
      continue;
    }
    const [head, index] = fieldPath(e.field);
    const field = String(head) as ContactWayField;
    if (!CONTACT_WAY_FIELDS.includes(field)) {
      rest.push(e);
      continue;
    }
    let message = e.message;
    if (typeof index === 'number') {
      const id = field === 'userIDs' ? sent.userIDs?.[index] : field === 'tagIDs' ? sent.tagIDs?.[index] : undefined;
      const name = id && (field === 'userIDs' ? names.users : names.tags)?.get(id);
      message = `${name || `#${index + 1}`}: ${e.message}`;
    }
    byField.set(field, [...(byField.get(field) ?? []), message]);
  }
  return { fields: [...byField].map(([name, errors]) => ({ name: [name], errors })), rest };
}

/** Whether a refusal says the workspace has no WeCom corp configured (corpId, contactSecret). */
export function notConfigured(e: APIError): boolean {
  return e.code === 'CONFLICT' && /corpId|contactSecret/.test(e.message);
}

// ---------------------------------------------------------------- editing a code

/** What the form shows of a code. */
export interface EditableCode {
  name: string;
  strategy: ContactWayStrategy;
  source: string;
  welcomeMessage: string;
  skipVerify: boolean;
  users: { id: string }[];
  tags: { id: string }[];
  /** The code's pool: null for none, undefined when not known (a server before ContactWay.pool). */
  poolID?: string | null;
}

/** The create and edit form's values. */
export interface ContactWayFormValues {
  name: string;
  userIDs: string[];
  strategy: ContactWayStrategy;
  source?: string;
  tagIDs?: string[];
  welcomeMessage?: string;
  skipVerify: boolean;
  /** A pool, empty for none, or KEEP_POOL: leave the code's pool as it is. */
  poolID?: string;
}

/** The pool field's value that keeps the code's pool (shown when its pool is not known). */
export const KEEP_POOL = '__keep__';

/** The lead source a code gets when its source is left empty. */
export const DEFAULT_SOURCE = 'wecom';

/** The edit form's starting values: the code as it is. */
export function formValuesOf(code: EditableCode): ContactWayFormValues {
  return {
    name: code.name,
    userIDs: code.users.map((u) => u.id),
    strategy: code.strategy,
    source: code.source,
    tagIDs: code.tags.map((x) => x.id),
    welcomeMessage: code.welcomeMessage,
    skipVerify: code.skipVerify,
    poolID: code.poolID === undefined ? KEEP_POOL : (code.poolID ?? undefined),
  };
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const sameSet = (a: string[], b: string[]) => sameList([...a].sort(), [...b].sort());

/**
 * The updateContactWay input for the form's values v over code: only the
 * fields that changed ({} when nothing did). Members keep their order (the
 * first is tried first); tags are a set, and none left is tagIDs []. A pool
 * emptied is clearPool; KEEP_POOL sends nothing. An emptied source means
 * wecom, so it changes nothing on a wecom code.
 */
export function contactWayUpdate(code: EditableCode, v: ContactWayFormValues): UpdateContactWayInput {
  const out: UpdateContactWayInput = {};
  const name = v.name.trim();
  if (name !== code.name) out.name = name;
  const users = code.users.map((u) => u.id);
  if (!sameList(v.userIDs, users)) out.userIDs = [...v.userIDs];
  if (v.strategy !== code.strategy) out.strategy = v.strategy;
  const source = v.source?.trim() ?? '';
  if ((source || DEFAULT_SOURCE) !== code.source) out.source = source;
  const tags = v.tagIDs ?? [];
  if (!sameSet(tags, code.tags.map((x) => x.id))) out.tagIDs = [...tags];
  const welcome = v.welcomeMessage ?? '';
  if (welcome !== code.welcomeMessage) out.welcomeMessage = welcome;
  if (v.skipVerify !== code.skipVerify) out.skipVerify = v.skipVerify;
  if (v.poolID !== KEEP_POOL) {
    if (v.poolID) {
      if (v.poolID !== code.poolID) out.poolID = v.poolID;
    } else if (code.poolID !== null) {
      out.clearPool = true;
    }
  }
  return out;
}

/**
 * Whether n members are allowed for a code that had before members: WeCom
 * cannot change a code's type, so one stays one ('one') and several stay
 * several ('several'); null when n is fine. A new code (before 0) takes 1 or more.
 */
export function memberCountProblem(before: number, n: number): 'one' | 'several' | null {
  if (before === 1 && n !== 1) return 'one';
  if (before > 1 && n < 2) return 'several';
  return null;
}
