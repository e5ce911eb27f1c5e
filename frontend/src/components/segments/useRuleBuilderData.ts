// What the rule builder's value editors offer (fields, tags, stages, users,
// territories, saved segments), read with the caller's permissions.
import { useMemo } from 'react';
import { useQuery } from 'urql';
import { SegmentsDoc } from '../../api/ops';
import { useFieldDefs, usePipelines, useTags, useTerritories, useUsers } from '../../api/hooks';
import { useSession } from '../../auth/session';
import type { BuilderData } from './builderContext';

export function useRuleBuilderData(): { data: BuilderData; canUsers: boolean } {
  const { can } = useSession();
  const { defs } = useFieldDefs();
  const { tags } = useTags();
  const { stages } = usePipelines();
  const { users, allowed } = useUsers();
  const { territories } = useTerritories();
  const [segRes] = useQuery({ query: SegmentsDoc, variables: { first: 500 }, pause: !can('segment', 'read') });
  const segments = useMemo(() => (segRes.data?.segments.edges ?? []).flatMap((e) => (e?.node ? [{ id: e.node.id, name: e.node.name }] : [])), [segRes.data]);
  const data = useMemo(() => ({ defs, tags, stages, users, territories, segments }), [defs, tags, stages, users, territories, segments]);
  return { data, canUsers: allowed };
}
