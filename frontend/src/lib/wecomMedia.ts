// The media library's logic (素材库 and the 从素材库选择 picker), kept out
// of the components so it is tested: the kind filter in the URL, sizes in
// human units, where a use links to, what a refused delete names, WeCom's
// refusal of an upload in words, and the picker's search over the page it
// shows.
import type { CombinedError } from 'urql';
import type { WeComMediaType, WeComMediaUseKind } from '../gql/graphql';

export const MEDIA_KINDS: WeComMediaType[] = ['IMAGE', 'VIDEO', 'FILE'];

/** The kind filter of the page (?kind=VIDEO); null for all kinds, and for anything else in the URL. */
export function parseMediaKind(params: URLSearchParams): WeComMediaType | null {
  const k = params.get('kind');
  return MEDIA_KINDS.includes(k as WeComMediaType) ? (k as WeComMediaType) : null;
}

/** Bytes in human units, 1024-based as the upload limits are (10 MB = 10 << 20): 512 B, 1.5 KB, 10 MB. */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = v >= 100 ? Math.round(v).toString() : (Math.round(v * 10) / 10).toString();
  return `${s} ${units[i]}`;
}

/** A live code or broadcast whose attachments name a medium. */
export interface MediaUse {
  kind: WeComMediaUseKind;
  id: string;
  name: string;
}

/** Where a use is opened: the code's edit drawer, the broadcast's detail. */
export function mediaUseLink(u: MediaUse): string {
  const id = encodeURIComponent(u.id);
  return u.kind === 'CONTACT_WAY' ? `/wecom/contact-ways?edit=${id}` : `/broadcasts?open=${id}`;
}

/**
 * What a refused deleteWeComMedia names: the CONFLICT's extensions.usedBy
 * (kind, id, name), or null when the refusal is another one (the error
 * is then shown as the API says it).
 */
export function deleteRefusal(err: CombinedError | undefined | null): MediaUse[] | null {
  const e = err?.graphQLErrors.find((x) => x.extensions?.code === 'CONFLICT');
  const list = e?.extensions?.usedBy;
  if (!Array.isArray(list)) return null;
  const uses = list.filter(
    (u): u is MediaUse =>
      !!u && typeof u === 'object' && (u.kind === 'CONTACT_WAY' || u.kind === 'BROADCAST') && typeof u.id === 'string' && typeof u.name === 'string',
  );
  return uses.length ? uses : null;
}

/** The errcodes of media/upload whose refusal has its own words (media.refusal.<code>). */
const REFUSALS = [40004, 40005, 40006, 40009, 40011, 41005, 44001] as const;

/**
 * The message key of WeCom's refusal of a medium (uploadError.code), in
 * the UI's words: the documented errcodes of media/upload have their own,
 * any other the general one.
 */
export function refusalKey(code: number): `media.refusal.${(typeof REFUSALS)[number] | 'other'}` {
  const known = REFUSALS.find((c) => c === code);
  return known ? `media.refusal.${known}` : 'media.refusal.other';
}

/** The rows of the page whose file name holds q (trimmed, any case); all of them for an empty q. */
export function searchByName<T extends { filename: string }>(rows: T[], q: string): T[] {
  const s = q.trim().toLowerCase();
  return s ? rows.filter((r) => r.filename.toLowerCase().includes(s)) : rows;
}
