// Whom the new-task form offers as assignee: the viewer first, then the
// active users the viewer manages — the members of the teams it manages,
// or everyone for an admin (the API decides; this only keeps the list to
// those it would accept).
export interface AssigneeUser {
  id: string;
  name: string;
  active: boolean;
  team?: { id: string; name: string; manager?: { id: string } | null } | null;
}

export function assigneeOptions(
  users: AssigneeUser[],
  viewer: { id: string; roles: string[] } | null | undefined,
  meLabel: string,
): { value: string; label: string }[] {
  if (!viewer) return [];
  const admin = viewer.roles.includes('admin');
  const out = [{ value: viewer.id, label: meLabel }];
  for (const u of users) {
    if (u.id === viewer.id || !u.active) continue;
    if (!admin && u.team?.manager?.id !== viewer.id) continue;
    out.push({ value: u.id, label: u.team ? `${u.name}（${u.team.name}）` : u.name });
  }
  return out;
}
