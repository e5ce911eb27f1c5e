// Turning GraphQL errors into what a person can act on: the message of each
// error, and errors with extensions.field placed on the form field they name.
import type { CombinedError } from 'urql';
import type { FormInstance } from 'antd';
import { translate, type Lang, type MessageKey } from '../i18n';

export interface APIError {
  message: string;
  code?: string;
  field?: string;
  /** extensions.reason: a finer reason of the code (DUPLICATE, LEAD_INACTIVE, …). */
  reason?: string;
}

/** The errors of a failed operation, network failures included. */
export function apiErrors(err: CombinedError | undefined | null): APIError[] {
  if (!err) return [];
  if (err.graphQLErrors.length > 0) {
    return err.graphQLErrors.map((e) => ({
      message: e.message,
      code: typeof e.extensions?.code === 'string' ? e.extensions.code : undefined,
      field: typeof e.extensions?.field === 'string' ? e.extensions.field : undefined,
      reason: typeof e.extensions?.reason === 'string' ? e.extensions.reason : undefined,
    }));
  }
  if (err.networkError) return [{ message: err.networkError.message, code: 'NETWORK' }];
  return [{ message: err.message }];
}

// Refusals (who may do what, what exists, limits, the server or the network
// failing) are said in the UI's language from their code; the API's English
// message is for developers. Input errors (BAD_USER_INPUT, CONFLICT) keep the
// API's message, which names the value and the rule it breaks, unless their
// extensions.reason is one this UI says in its own words.
const REFUSALS = ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'LIMIT_EXCEEDED', 'INTERNAL_SERVER_ERROR', 'NETWORK'];

/** The language the app is shown in (I18nProvider sets it on <html lang>). */
function uiLang(): Lang {
  return typeof document !== 'undefined' && document.documentElement.lang === 'en' ? 'en' : 'zh';
}

/** What a person reads for e: a refusal by its code, a known reason by the reason, in lang; anything else as the API says it. */
export function errorMessage(e: APIError, lang: Lang = uiLang()): string {
  if (e.code && REFUSALS.includes(e.code)) return translate(lang, `error.${e.code}` as MessageKey);
  if (e.reason) {
    const key = `failure.reason.${e.reason}` as MessageKey;
    const said = translate(lang, key);
    if (said !== key) return said;
  }
  return e.message;
}

/** One line describing err, for a toast or an alert, in the UI's language. */
export function errorText(err: CombinedError | undefined | null, lang: Lang = uiLang()): string {
  return [...new Set(apiErrors(err).map((e) => errorMessage(e, lang)))].join('; ');
}

/**
 * The form field path an API field names: "input.attributes.budget" ->
 * ["attributes", "budget"], "input.stages[1].key" -> ["stages", 1, "key"],
 * "condition" -> ["condition"]. Leading "input." (the argument name) is
 * dropped; strip is a further prefix to drop (e.g. "config.").
 */
export function fieldPath(field: string, strip: string[] = []): (string | number)[] {
  let f = field.replace(/^input\./, '');
  for (const s of strip) if (f.startsWith(s)) f = f.slice(s.length);
  const out: (string | number)[] = [];
  for (const part of f.split('.')) {
    const m = part.match(/^([^[\]]*)((?:\[\d+\])*)$/);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/**
 * Puts the errors of err that name a field onto the form's fields (only
 * fields the form has: known lists their names, first path element) and
 * returns the rest for the caller to show.
 */
export function applyFormErrors(
  form: FormInstance,
  err: CombinedError | undefined | null,
  opts: { known?: string[]; strip?: string[]; map?: Record<string, (string | number)[]> } = {},
): APIError[] {
  const rest: APIError[] = [];
  const byField = new Map<string, { name: (string | number)[]; errors: string[] }>();
  for (const e of apiErrors(err)) {
    if (!e.field) {
      rest.push(e);
      continue;
    }
    const name = opts.map?.[e.field] ?? fieldPath(e.field, opts.strip);
    const head = String(name[0]);
    if (opts.known && !opts.known.includes(head)) {
      rest.push(e);
      continue;
    }
    const key = JSON.stringify(name);
    const cur = byField.get(key) ?? { name, errors: [] };
    cur.errors.push(e.reason ? errorMessage(e) : e.message);
    byField.set(key, cur);
  }
  if (byField.size > 0) form.setFields([...byField.values()]);
  return rest;
}
