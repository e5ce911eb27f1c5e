// What a person who created a lead is told when it merged into an existing
// one: whose lead it is, as far as they may know. The API answers the lead
// only when it is within the caller's read scope (IngestRowResult.lead), so a
// lead of a colleague the caller may not see is said as such, by nobody's name.
export type MergeNotice =
  | { kind: 'mine'; leadID: string; lead: string }
  | { kind: 'colleague'; leadID: string; lead: string; owner: string }
  | { kind: 'pool'; leadID: string; lead: string; pool: string }
  | { kind: 'unowned'; leadID: string; lead: string }
  | { kind: 'hidden' };

export interface MergedLead {
  id: string;
  name: string;
  owner?: { id: string; name: string } | null;
  pool?: { id: string; name: string } | null;
}

export function mergeNotice(lead: MergedLead | null | undefined, viewerID: string): MergeNotice {
  if (!lead) return { kind: 'hidden' };
  const name = lead.name || lead.id;
  if (lead.owner?.id === viewerID) return { kind: 'mine', leadID: lead.id, lead: name };
  if (lead.owner) return { kind: 'colleague', leadID: lead.id, lead: name, owner: lead.owner.name };
  if (lead.pool) return { kind: 'pool', leadID: lead.id, lead: name, pool: lead.pool.name };
  return { kind: 'unowned', leadID: lead.id, lead: name };
}
