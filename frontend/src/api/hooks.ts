// Shared reads of workspace metadata, cached by urql across pages. enabled
// false holds a read back (the leads page asks for its filter data only after
// its first rows are on screen).
import { useMemo } from 'react';
import { useQuery } from 'urql';
import { FieldDefinitionsDoc, PipelinesDoc, PoolsDoc, TagsDoc, UsersDoc, TerritoriesDoc } from './ops';
import { useSession } from '../auth/session';
import type { FieldDef } from '../lib/fields';
import { byName, sortTagGroups } from '../lib/collate';

export function useFieldDefs(includeArchived = false) {
  const { can } = useSession();
  const [res, refetch] = useQuery({
    query: FieldDefinitionsDoc,
    variables: { includeArchived },
    pause: !can('field', 'read'),
    context: useMemo(() => ({ additionalTypenames: ['FieldDefinition'] }), []),
  });
  const defs = useMemo<FieldDef[]>(() => {
    const types = new Map((res.data?.fieldTypes ?? []).map((ft) => [ft.type, ft]));
    return [...(res.data?.fieldDefinitions ?? [])]
      .sort((a, b) => a.position - b.position)
      .map((d) => ({
        ...d,
        helpText: d.helpText,
        options: d.options ?? [],
        ops: types.get(d.type)?.operators ?? [],
        masked: types.get(d.type)?.masked ?? true,
        widget: types.get(d.type)?.widget ?? 'text',
        sortable: types.get(d.type)?.sortable ?? false,
      }));
  }, [res.data]);
  const types = res.data?.fieldTypes;
  return { defs, raw: res.data?.fieldDefinitions ?? [], types: types ?? [], fetching: res.fetching, error: res.error, refetch };
}

export function usePipelines(enabled = true) {
  const { can } = useSession();
  const [res, refetch] = useQuery({
    query: PipelinesDoc,
    pause: !enabled || !can('pipeline', 'read'),
    context: useMemo(() => ({ additionalTypenames: ['Pipeline', 'Stage', 'LostReason'] }), []),
  });
  const pipelines = res.data?.pipelines ?? [];
  const stages = useMemo(() => pipelines.flatMap((p) => p.stages.map((s) => ({ ...s, pipelineName: p.name, pipelineID: p.id }))), [pipelines]);
  return { pipelines, stages, lostReasons: res.data?.lostReasons ?? [], fetching: res.fetching, error: res.error, refetch };
}

export function useTags(enabled = true) {
  const { can } = useSession();
  const [res, refetch] = useQuery({
    query: TagsDoc,
    pause: !enabled || !can('tag', 'read'),
    context: useMemo(() => ({ additionalTypenames: ['Tag', 'TagGroup'] }), []),
  });
  // The API sorts in pinyin order already (where the database has the ICU
  // collation); sorted here too with the same order, so a list is in
  // pinyin order whatever the database.
  const groups = useMemo(() => sortTagGroups(res.data?.tagGroups ?? []), [res.data]);
  const tags = useMemo(() => byName(res.data?.tags ?? []), [res.data]);
  return { groups, tags, fetching: res.fetching, error: res.error, refetch };
}

export function useUsers(enabled = true) {
  const { can } = useSession();
  const [res, refetch] = useQuery({
    query: UsersDoc,
    pause: !enabled || !can('user', 'read'),
    context: useMemo(() => ({ additionalTypenames: ['User'] }), []),
  });
  const users = useMemo(() => (res.data?.users.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])), [res.data]);
  return { users, fetching: res.fetching, error: res.error, refetch, allowed: can('user', 'read') };
}

export function usePools(enabled = true) {
  const { can } = useSession();
  const [res, refetch] = useQuery({
    query: PoolsDoc,
    pause: !enabled || !can('pool', 'read'),
    context: useMemo(() => ({ additionalTypenames: ['Pool'] }), []),
  });
  return { pools: res.data?.pools ?? [], fetching: res.fetching, error: res.error, refetch };
}

export function useTerritories(enabled = true) {
  const { can } = useSession();
  const [res, refetch] = useQuery({
    query: TerritoriesDoc,
    pause: !enabled || !can('territory', 'read'),
    context: useMemo(() => ({ additionalTypenames: ['Territory'] }), []),
  });
  return { territories: res.data?.territories ?? [], fetching: res.fetching, error: res.error, refetch };
}
