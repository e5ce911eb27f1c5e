// What the server said when it refused to change or delete a tag, tag
// group or territory, in the UI's language: the references of a CONFLICT
// (extensions.references: segments, journeys, rules, codes, saved views,
// WeCom corp tags that name the tag), the leads that would break an
// exclusive group (extensions.leadCount), and what still holds a territory
// (extensions.use). Anything else is said as errorMessage says it.
import type { CombinedError } from 'urql';
import type { MessageKey, TFunc } from '../i18n';
import { errorMessage } from '../api/errors';

export interface Reference {
  kind: string;
  name: string;
  tag?: string;
}

export interface TerritoryUse {
  leads: number;
  users: number;
  partners: number;
  pools: number;
  children: number;
}

const REF_KINDS = ['SEGMENT', 'JOURNEY', 'ASSIGNMENT_RULE', 'SCORING_RULE', 'CONTACT_WAY', 'SAVED_VIEW', 'WECOM_CORP_TAG'];
const USE_KEYS: (keyof TerritoryUse)[] = ['leads', 'users', 'partners', 'pools', 'children'];

/** One reference as a line: its kind in the UI's language, its name, and the tag it names when that is not obvious. */
export function referenceLine(r: Reference, t: TFunc, showTag: boolean): string {
  const kind = REF_KINDS.includes(r.kind) ? t(`refusal.ref.${r.kind}` as MessageKey) : r.kind;
  const tag = showTag && r.tag && r.kind !== 'WECOM_CORP_TAG' ? t('refusal.refTag', { tag: r.tag }) : '';
  return `${kind}「${r.name}」${tag}`;
}

/**
 * The lines that explain err: a heading and one line per reference (and
 * "n in all" when the server listed only the first), the lead count of an
 * exclusive group, the counts of a territory's use, or the error's message.
 * showTag names the tag each reference names (a group's delete).
 */
export function refusalLines(err: CombinedError | undefined | null, t: TFunc, showTag = false): string[] {
  if (!err) return [];
  const out: string[] = [];
  const gqlErrors = err.graphQLErrors ?? [];
  for (const e of gqlErrors) {
    const ext = (e.extensions ?? {}) as Record<string, unknown>;
    const refs = Array.isArray(ext.references) ? (ext.references as Reference[]) : null;
    if (ext.code === 'CONFLICT' && refs && refs.length > 0) {
      out.push(t('refusal.usedBy'));
      for (const r of refs) out.push(referenceLine(r, t, showTag));
      const total = typeof ext.referenceCount === 'number' ? ext.referenceCount : refs.length;
      if (total > refs.length) out.push(t('refusal.more', { n: total }));
      continue;
    }
    if (ext.code === 'CONFLICT' && typeof ext.leadCount === 'number') {
      out.push(t('refusal.leadCount', { n: ext.leadCount }));
      continue;
    }
    const use = ext.use as Partial<TerritoryUse> | undefined;
    if (ext.code === 'CONFLICT' && use && typeof use === 'object') {
      const parts = USE_KEYS.filter((k) => (use[k] ?? 0) > 0).map((k) => t(`refusal.use.${k}` as MessageKey, { n: use[k] ?? 0 }));
      out.push(t('refusal.use', { list: parts.join(t('refusal.listSep')) }));
      continue;
    }
    out.push(errorMessage({ message: e.message, code: typeof ext.code === 'string' ? ext.code : undefined }));
  }
  if (gqlErrors.length === 0) out.push(errorMessage({ message: err.message, code: err.networkError ? 'NETWORK' : undefined }));
  return out;
}

/** Whether err carries what refusalLines says from extensions (references, a lead count, a territory's use). */
export function hasRefusalDetails(err: CombinedError | undefined | null): boolean {
  return (err?.graphQLErrors ?? []).some((e) => {
    const ext = (e.extensions ?? {}) as Record<string, unknown>;
    return ext.code === 'CONFLICT' && (Array.isArray(ext.references) || typeof ext.leadCount === 'number' || (!!ext.use && typeof ext.use === 'object'));
  });
}

/** The ids of territory id and every territory below it: where it cannot move. */
export function subtreeIDs(list: { id: string; parent?: { id: string } | null }[], id: string): Set<string> {
  const out = new Set([id]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const x of list) {
      if (x.parent && out.has(x.parent.id) && !out.has(x.id)) {
        out.add(x.id);
        grew = true;
      }
    }
  }
  return out;
}
