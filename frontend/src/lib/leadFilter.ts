// The leads list's filters and how they become a LeadWhereInput.
import type { CompareOp, LeadTier, LeadWhereInput, LeadStatus } from '../gql/graphql';
import { valueComplete } from './fields';

export interface AttrCond {
  key: string;
  op: CompareOp;
  value?: unknown;
}

export type TagMode = 'any' | 'all' | 'none';

export interface LeadFilter {
  /** Name contains, case-insensitive. */
  q?: string;
  /** Exact phone (the server normalises it). */
  phone?: string;
  sources?: string[];
  /** 'me', 'none' (public pool), or a user id. */
  owner?: string;
  stageIDs?: string[];
  tiers?: LeadTier[];
  scoreMin?: number | null;
  scoreMax?: number | null;
  tagMode?: TagMode;
  tagIDs?: string[];
  attributes?: AttrCond[];
  poolID?: string;
  statuses?: LeadStatus[];
}

/** toWhere turns filter into the API's where input; viewerID resolves owner 'me'. */
export function toWhere(f: LeadFilter, viewerID: string): LeadWhereInput {
  const w: LeadWhereInput = {};
  const and: LeadWhereInput[] = [];
  if (f.q?.trim()) w.nameContainsFold = f.q.trim();
  if (f.phone?.trim()) w.phone = f.phone.trim();
  if (f.sources?.length) w.sourceIn = f.sources;
  if (f.owner === 'me') w.ownerID = viewerID;
  else if (f.owner === 'none') w.hasOwner = false;
  else if (f.owner) w.ownerID = f.owner;
  if (f.stageIDs?.length) w.stageIDIn = f.stageIDs;
  if (f.tiers?.length) w.tierIn = f.tiers;
  if (f.scoreMin != null) w.scoreGTE = f.scoreMin;
  if (f.scoreMax != null) w.scoreLTE = f.scoreMax;
  if (f.poolID) w.poolID = f.poolID;
  w.statusIn = f.statuses?.length ? f.statuses : ['ACTIVE'];
  const tags = f.tagIDs ?? [];
  if (tags.length) {
    switch (f.tagMode ?? 'any') {
      case 'any':
        w.hasTagsWith = [{ idIn: tags }];
        break;
      case 'all':
        for (const id of tags) and.push({ hasTagsWith: [{ id }] });
        break;
      case 'none':
        w.not = { hasTagsWith: [{ idIn: tags }] };
        break;
    }
  }
  const attrs = (f.attributes ?? []).filter((a) => a.key && a.op && valueComplete(a.op, a.value));
  if (attrs.length) {
    w.attributes = attrs.map((a) => (a.op === 'IS_EMPTY' || a.op === 'IS_NOT_EMPTY' ? { key: a.key, op: a.op } : { key: a.key, op: a.op, value: a.value }));
  }
  if (and.length) w.and = and;
  return w;
}

/** How many filters are set, for the "Filters (3)" badge. */
export function activeCount(f: LeadFilter): number {
  let n = 0;
  if (f.q?.trim()) n++;
  if (f.phone?.trim()) n++;
  if (f.sources?.length) n++;
  if (f.owner) n++;
  if (f.stageIDs?.length) n++;
  if (f.tiers?.length) n++;
  if (f.scoreMin != null || f.scoreMax != null) n++;
  if (f.tagIDs?.length) n++;
  if (f.poolID) n++;
  n += (f.attributes ?? []).filter((a) => a.key && valueComplete(a.op, a.value)).length;
  return n;
}
