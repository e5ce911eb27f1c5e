// The lead a duplicate group is merged into by default: an ACTIVE lead
// before an ARCHIVED one, then the one with an owner, then the oldest (the
// one the team has worked longest).
export interface GroupLead {
  id: string;
  status: string;
  createdAt: string;
  owner?: { id: string } | null;
}

export function defaultPrimary(leads: GroupLead[]): string | null {
  if (leads.length === 0) return null;
  const rank = (l: GroupLead) => [l.status === 'ACTIVE' ? 0 : 1, l.owner ? 0 : 1, Date.parse(l.createdAt)] as const;
  return [...leads].sort((a, b) => {
    const x = rank(a), y = rank(b);
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  })[0].id;
}

// What a refused 不是重复 says when the group changed after the page read it
// (dismissDuplicateGroup with the group's version: CONFLICT at version):
// joined is how many more leads it has now (0 when leads left it), count how
// many it has. null for any other error.
export interface GroupChanged {
  joined: number;
  count: number;
}

interface GraphQLErrorLike {
  extensions?: Record<string, unknown>;
}

export function groupChanged(err: { graphQLErrors?: GraphQLErrorLike[] } | null | undefined): GroupChanged | null {
  const e = err?.graphQLErrors?.find((g) => g.extensions?.code === 'CONFLICT' && g.extensions?.field === 'version');
  if (!e) return null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return { joined: num(e.extensions?.joined), count: num(e.extensions?.count) };
}
