// The contact-way code (渠道活码) form's logic, kept out of the page so it is
// tested: which users can be members, and the API's input errors placed on
// the form fields they name.
import type { CombinedError } from 'urql';
import { apiErrors, fieldPath, type APIError } from '../api/errors';

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
 * Splits the errors of a failed createContactWay: those naming a field of
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
