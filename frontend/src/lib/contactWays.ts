// The contact-way code (渠道活码) form's logic, kept out of the page so it is
// tested: which users can be members, the API's input errors placed on the
// form fields they name, and an edit's changed fields (updateContactWay).
import type { CombinedError } from 'urql';
import { apiErrors, fieldPath, type APIError } from '../api/errors';
import type { ContactWayStrategy, UpdateContactWayInput, WelcomeAttachmentErrorReason, WelcomeAttachmentInput, WelcomeAttachmentType } from '../gql/graphql';
import type { TFunc } from '../i18n';
import { refusalKey } from './wecomMedia';

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
export const CONTACT_WAY_FIELDS = ['name', 'userIDs', 'strategy', 'source', 'tagIDs', 'welcomeMessage', 'welcomeAttachments', 'skipVerify', 'poolID'] as const;

export type ContactWayField = (typeof CONTACT_WAY_FIELDS)[number];

export interface FieldErrors {
  /** [field], or an attachment's input: ['welcomeAttachments', i, 'title']. */
  name: [ContactWayField] | ['welcomeAttachments', number, AttachmentField];
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
  const attachments: FieldErrors[] = [];
  const rest: APIError[] = [];
  for (const e of apiErrors(err)) {
    if (!e.field) {
      rest.push(e);
      continue;
    }
    const [head, index, sub] = fieldPath(e.field);
    const field = String(head) as ContactWayField;
    if (!CONTACT_WAY_FIELDS.includes(field)) {
      rest.push(e);
      continue;
    }
    // An attachment's input (input.welcomeAttachments[2].title) gets its own
    // error; the list's (at most 9) goes on the list.
    if (field === 'welcomeAttachments' && typeof index === 'number') {
      const f = ATTACHMENT_FIELDS.includes(sub as AttachmentField) ? (sub as AttachmentField) : 'type';
      attachments.push({ name: ['welcomeAttachments', index, f], errors: [e.message] });
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
  return { fields: [...[...byField].map(([name, errors]): FieldErrors => ({ name: [name], errors })), ...attachments], rest };
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
  /** What goes with the welcome message, as the API shows it. */
  welcomeAttachments?: AttachmentValue[];
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
  welcomeAttachments?: AttachmentValue[];
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
    welcomeAttachments: (code.welcomeAttachments ?? []).map(attachmentValueOf),
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
  const attachments = attachmentsInput(v.welcomeAttachments ?? []);
  if (JSON.stringify(attachments) !== JSON.stringify(attachmentsInput(code.welcomeAttachments ?? []))) out.welcomeAttachments = attachments;
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

// ---------------------------------------------------------------- welcome attachments

/** WeCom's limit of attachments per welcome message. */
export const MAX_ATTACHMENTS = 9;

export const ATTACHMENT_TYPES: WelcomeAttachmentType[] = ['IMAGE', 'LINK', 'MINIPROGRAM', 'VIDEO', 'FILE'];

export const ATTACHMENT_FIELDS = ['type', 'title', 'url', 'picURL', 'desc', 'appID', 'page', 'picMediaID', 'mediaID'] as const;
export type AttachmentField = (typeof ATTACHMENT_FIELDS)[number];

/** An attachment as the form holds it: its type and the fields that type uses. */
export interface AttachmentValue {
  type: WelcomeAttachmentType;
  title?: string | null;
  url?: string | null;
  picURL?: string | null;
  desc?: string | null;
  appID?: string | null;
  page?: string | null;
  picMediaID?: string | null;
  /** A stored medium's id (uploadWeComMedia): a video's or file's, or an image's instead of picURL. */
  mediaID?: string | null;
  /** The stored medium mediaID or picMediaID names, as the API shows it (its file name). */
  media?: { filename: string } | null;
}

/** A field of an attachment type and WeCom's rule for it (the API checks the same: internal/wecom/welcome.go). */
export interface AttachmentFieldRule {
  field: Exclude<AttachmentField, 'type'>;
  required: boolean;
  /** WeCom counts bytes (UTF-8: a Chinese character is 3). */
  maxBytes: number;
  kind?: 'url' | 'qpic' | 'appid';
}

/** The fields each type takes, in the form's order. */
export const ATTACHMENT_RULES: Record<WelcomeAttachmentType, AttachmentFieldRule[]> = {
  IMAGE: [{ field: 'picURL', required: true, maxBytes: 1000, kind: 'qpic' }],
  LINK: [
    { field: 'title', required: true, maxBytes: 128 },
    { field: 'url', required: true, maxBytes: 1000, kind: 'url' },
    { field: 'picURL', required: false, maxBytes: 1000, kind: 'url' },
    { field: 'desc', required: false, maxBytes: 512 },
  ],
  MINIPROGRAM: [
    { field: 'title', required: true, maxBytes: 64 },
    { field: 'appID', required: true, maxBytes: 64, kind: 'appid' },
    { field: 'page', required: true, maxBytes: 256 },
    { field: 'picMediaID', required: true, maxBytes: 256 },
  ],
  VIDEO: [{ field: 'mediaID', required: true, maxBytes: 256 }],
  FILE: [{ field: 'mediaID', required: true, maxBytes: 256 }],
};

/** An IMAGE that names a stored image (picked from the media library) instead of a picURL. */
const STORED_IMAGE_RULES: AttachmentFieldRule[] = [{ field: 'mediaID', required: true, maxBytes: 256 }];

/**
 * The fields attachment a takes as it stands: its type's (ATTACHMENT_RULES),
 * but an IMAGE with a mediaID (a stored image: the API takes picURL or
 * mediaID, not both) takes the mediaID instead of the picURL.
 */
export function attachmentRules(a: Pick<AttachmentValue, 'type' | 'mediaID'>): AttachmentFieldRule[] {
  if (a.type === 'IMAGE' && (a.mediaID ?? '').trim()) return STORED_IMAGE_RULES;
  return ATTACHMENT_RULES[a.type] ?? [];
}

/** WeCom's limits of media/upload by uploadWeComMedia's type (the API checks the same: internal/wecom/storedmedia.go). */
export const MEDIA_LIMITS = { IMAGE: 10 << 20, VIDEO: 10 << 20, FILE: 20 << 20 } as const;
export type MediaKind = keyof typeof MEDIA_LIMITS;

/** Why a file cannot be stored as kind, or null: WeCom's size limit, more than 5 bytes, the format by its name or type. */
export function mediaFileProblem(kind: MediaKind, file: { name: string; size: number; type: string }): 'empty' | 'size' | 'type' | null {
  if (file.size <= 5) return 'empty';
  if (file.size > MEDIA_LIMITS[kind]) return 'size';
  const name = file.name.toLowerCase();
  if (kind === 'IMAGE' && !(['image/jpeg', 'image/png'].includes(file.type) || /\.(jpe?g|png)$/.test(name))) return 'type';
  if (kind === 'VIDEO' && !(file.type === 'video/mp4' || name.endsWith('.mp4'))) return 'type';
  return null;
}

/** Why an attachment field's value breaks WeCom's rule, or null. */
export type AttachmentProblem =
  | { kind: 'required' }
  | { kind: 'tooLong'; max: number }
  | { kind: 'url' }
  | { kind: 'qpic' }
  | { kind: 'appid' };

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

/** Checks value against rule as the API does: trimmed; required; bytes; an absolute http(s) URL, an https *.qpic.cn one, a mini-program appid. */
export function attachmentProblem(rule: AttachmentFieldRule, value: string | null | undefined): AttachmentProblem | null {
  const v = (value ?? '').trim();
  if (!v) return rule.required ? { kind: 'required' } : null;
  if (utf8Bytes(v) > rule.maxBytes) return { kind: 'tooLong', max: rule.maxBytes };
  if (rule.kind === 'url' || rule.kind === 'qpic') {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return { kind: 'url' };
    }
    if ((u.protocol !== 'https:' && u.protocol !== 'http:') || !u.host || u.username || u.password) return { kind: 'url' };
    if (rule.kind === 'qpic' && (u.protocol !== 'https:' || !(u.hostname === 'qpic.cn' || u.hostname.endsWith('.qpic.cn')))) return { kind: 'qpic' };
  }
  if (rule.kind === 'appid' && !/^wx[0-9a-f]{16}$/.test(v)) return { kind: 'appid' };
  return null;
}

/** The API's input for the form's attachments: each with its type's fields only, trimmed, empty optional ones left out. */
export function attachmentsInput(list: AttachmentValue[]): WelcomeAttachmentInput[] {
  return list.map((a) => {
    const out: WelcomeAttachmentInput = { type: a.type };
    for (const r of attachmentRules(a)) {
      const v = (a[r.field] ?? '').trim();
      if (v || r.required) out[r.field] = v;
    }
    return out;
  });
}

/** A code's attachment as the form edits it. */
export function attachmentValueOf(a: AttachmentValue): AttachmentValue {
  const out: AttachmentValue = { type: a.type };
  for (const r of attachmentRules(a)) out[r.field] = a[r.field] ?? '';
  if (a.media) out.media = { filename: a.media.filename };
  return out;
}

/**
 * The short text an attachment is shown by: a link's or mini-program's
 * title, an image's file name (the last part of its URL but a size suffix:
 * uploadimg's URLs end in /0).
 */
export function attachmentLabel(a: AttachmentValue): string {
  if (a.type === 'VIDEO' || a.type === 'FILE' || (a.type === 'IMAGE' && a.mediaID)) return a.media?.filename ?? a.mediaID ?? '';
  if (a.type === 'IMAGE') {
    const parts = (a.picURL ?? '').split('?')[0].split('/').filter(Boolean);
    while (parts.length > 3 && /^\d+$/.test(parts[parts.length - 1])) parts.pop();
    return parts.length > 2 ? parts[parts.length - 1] : (a.picURL ?? '');
  }
  return a.title ?? '';
}

// ---------------------------------------------------------------- uploading an image

/** WeCom's limit on an uploaded image (media/uploadimg). */
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
/** What media/uploadimg takes. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png'];

/** Why a file cannot be uploaded as a welcome image (checked before sending; the server checks the content), or null. */
export function imageFileProblem(file: { type: string; size: number }): 'type' | 'size' | 'empty' | null {
  if (!IMAGE_TYPES.includes(file.type)) return 'type';
  if (file.size > MAX_IMAGE_BYTES) return 'size';
  if (file.size < 5) return 'empty';
  return null;
}

/** The workspace's daily cap on uploads was reached: how many a day, and when the count starts again. */
export interface UploadQuota {
  limit: number;
  resetsAt: string;
}

/**
 * uploadWeComImage's errors as the image field shows them: no corp
 * configured (notConfigured: true) and the daily cap (quota, from
 * LIMIT_EXCEEDED's extensions limit and resetsAt) in the UI's words, the
 * rest as the API says them.
 */
export function uploadErrors(err: CombinedError | undefined | null): { notConfigured: boolean; quota: UploadQuota | null; messages: APIError[] } {
  const errs = apiErrors(err);
  const ext = err?.graphQLErrors.find((e) => e.extensions?.code === 'LIMIT_EXCEEDED')?.extensions;
  const quota = ext && typeof ext.limit === 'number' && typeof ext.resetsAt === 'string' ? { limit: ext.limit, resetsAt: ext.resetsAt } : null;
  return {
    notConfigured: errs.some(notConfigured),
    quota,
    messages: errs.filter((e) => !notConfigured(e) && !(quota && e.code === 'LIMIT_EXCEEDED')),
  };
}

/** An attachment of a code's welcome that cannot be sent (ContactWay.attachmentErrors). */
export interface AttachmentErrorView {
  index: number;
  type: WelcomeAttachmentType;
  filename?: string | null;
  reason: WelcomeAttachmentErrorReason;
  errcode?: number | null;
}

/**
 * Says why an attachment of a code's welcome cannot be sent, in the UI's
 * language: which attachment (its place and type, the file), and the
 * reason from its code (WeCom's errcode of a refusal in words, as the
 * media library says it).
 */
export function attachmentErrorText(t: TFunc, e: AttachmentErrorView): string {
  const which = t('contactWays.attachmentError.which', {
    n: e.index + 1, type: t(`contactWays.attach.${e.type}`), file: e.filename ? ` ${e.filename}` : '',
  });
  if (e.reason === 'MEDIA_DELETED') return `${which}${t('contactWays.attachmentError.deleted')}`;
  const code = e.errcode ?? 0;
  return `${which}${t('contactWays.attachmentError.refused', { reason: t(refusalKey(code)), code })}`;
}
