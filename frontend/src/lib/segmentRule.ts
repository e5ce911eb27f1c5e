// The segment builder's tree (react-querybuilder's groups and rules) and the
// API's SegmentRuleInput, both ways. Field names in the builder:
//   attr:<key>      a custom field          -> {attribute: {key, op, value}}
//   builtin:<key>   a built-in lead field   -> {attribute: {key, op, value}}
//   tag             any / all / none        -> {tag: {any|all|none: [ids]}}
//   stage           in / notIn              -> {stage: {in}} / {not: {stage}}
//   owner           in / public / owned     -> {owner: {in} | {public}}
//   event           did / didNot            -> {event: {name, minCount, maxCount, withinDays}}
//   segment         in / notIn              -> {segment: id} / {not: {segment: id}}
// Groups are and/or with an optional not. Saved segments combine on top with
// intersect / union / difference (the set panel), whose operands are saved
// segments and, optionally, the conditions of the builder.
import type { RuleGroupType, RuleType } from 'react-querybuilder';
import type { CompareOp, SegmentRuleInput } from '../gql/graphql';
import { arity } from './fields';

export type SetOp = 'intersect' | 'union' | 'difference';
export type Operand = { kind: 'conditions' } | { kind: 'segment'; id: string };

export interface EventValue {
  name: string;
  minCount?: number | null;
  maxCount?: number | null;
  withinDays?: number | null;
}

export interface BuilderState {
  query: RuleGroupType;
  setOp: SetOp | null;
  operands: Operand[];
}

export const BUILTIN_KEYS = [
  'name', 'company', 'source', 'sourceDetail', 'externalID', 'score', 'status', 'tier',
  'createdAt', 'updatedAt', 'claimedAt', 'lastFollowUpAt', 'protectedUntil', 'locked', 'territory',
] as const;

export const emptyQuery = (): RuleGroupType => ({ combinator: 'and', rules: [] });

export class UnsupportedRule extends Error {}

function isGroup(r: RuleType | RuleGroupType): r is RuleGroupType {
  return 'rules' in r;
}

/** Whether a builder rule has what it needs to be sent. */
export function ruleComplete(r: RuleType): boolean {
  if (r.field === 'event') {
    const v = r.value as EventValue | undefined;
    return !!v?.name?.trim();
  }
  if (r.field === 'owner' && (r.operator === 'public' || r.operator === 'owned')) return true;
  if (r.field.startsWith('attr:') || r.field.startsWith('builtin:')) {
    const op = r.operator as CompareOp;
    const v = r.value;
    switch (arity(op)) {
      case 'none':
        return true;
      case 'two':
        return Array.isArray(v) && v.length === 2 && v.every((x) => x !== null && x !== undefined && x !== '');
      case 'list':
        return Array.isArray(v) && v.length > 0;
      default:
        return v !== null && v !== undefined && v !== '';
    }
  }
  if (r.field === 'segment') return typeof r.value === 'string' && r.value !== '';
  return Array.isArray(r.value) && r.value.length > 0;
}

function ruleToInput(r: RuleType): SegmentRuleInput {
  const f = r.field;
  if (f.startsWith('attr:') || f.startsWith('builtin:')) {
    const key = f.slice(f.indexOf(':') + 1);
    const op = r.operator as CompareOp;
    return arity(op) === 'none' ? { attribute: { key, op } } : { attribute: { key, op, value: r.value } };
  }
  switch (f) {
    case 'tag': {
      const mode = r.operator as 'any' | 'all' | 'none';
      return { tag: { [mode]: r.value as string[] } };
    }
    case 'stage': {
      const node: SegmentRuleInput = { stage: { in: r.value as string[] } };
      return r.operator === 'notIn' ? { not: node } : node;
    }
    case 'owner':
      if (r.operator === 'public') return { owner: { public: true } };
      if (r.operator === 'owned') return { owner: { public: false } };
      return { owner: { in: r.value as string[] } };
    case 'event': {
      const v = r.value as EventValue;
      const ev: NonNullable<SegmentRuleInput['event']> = { name: v.name.trim() };
      if (v.withinDays) ev.withinDays = v.withinDays;
      if (r.operator === 'didNot') {
        ev.maxCount = 0;
      } else {
        if (v.minCount != null) ev.minCount = v.minCount;
        if (v.maxCount != null) ev.maxCount = v.maxCount;
      }
      return { event: ev };
    }
    case 'segment': {
      const node: SegmentRuleInput = { segment: r.value as string };
      return r.operator === 'notIn' ? { not: node } : node;
    }
  }
  throw new UnsupportedRule(`unknown field ${f}`);
}

/** groupToInput compiles a builder group; null when it holds no complete rule. */
export function groupToInput(g: RuleGroupType): SegmentRuleInput | null {
  const children: SegmentRuleInput[] = [];
  for (const r of g.rules) {
    if (typeof r === 'string') continue; // independent combinators are not used
    if (isGroup(r)) {
      const c = groupToInput(r);
      if (c) children.push(c);
    } else if (ruleComplete(r)) {
      children.push(ruleToInput(r));
    }
  }
  if (children.length === 0) return null;
  const node: SegmentRuleInput = children.length === 1 ? children[0] : { [g.combinator === 'or' ? 'or' : 'and']: children };
  return g.not ? { not: node } : node;
}

/** toInput is the whole rule: the conditions, combined with saved segments by the set operation. */
export function toInput(s: BuilderState): SegmentRuleInput | null {
  const cond = groupToInput(s.query);
  if (!s.setOp) return cond;
  const list: SegmentRuleInput[] = [];
  for (const o of s.operands) {
    if (o.kind === 'conditions') {
      if (cond) list.push(cond);
    } else if (o.id) {
      list.push({ segment: o.id });
    }
  }
  if (list.length < 2) return list[0] ?? null;
  return { [s.setOp]: list } as SegmentRuleInput;
}

// ---------------------------------------------------------------- back from a saved rule

type Node = Record<string, unknown>;

let seq = 0;
const nid = () => `r${++seq}`;

function leaf(field: string, operator: string, value: unknown): RuleType {
  return { id: nid(), field, operator, value };
}

function nodeToBuilder(n: Node): RuleType | RuleGroupType {
  const keys = Object.keys(n).filter((k) => n[k] !== undefined && n[k] !== null);
  if (keys.length !== 1) throw new UnsupportedRule(`a node with keys ${keys.join(',')}`);
  const k = keys[0];
  const v: unknown = n[k];
  switch (k) {
    case 'and':
    case 'or':
      return { id: nid(), combinator: k, rules: (v as Node[]).map(nodeToBuilder) };
    case 'not': {
      const inner = v as Node;
      if (inner.stage) return leaf('stage', 'notIn', (inner.stage as Node).in);
      if (inner.segment) return leaf('segment', 'notIn', inner.segment);
      const g = nodeToBuilder(inner);
      return isGroup(g) && !g.not ? { ...g, not: true } : { id: nid(), combinator: 'and', not: true, rules: [g] };
    }
    case 'attribute': {
      const a = v as { key: string; op: string; value?: unknown };
      const prefix = (BUILTIN_KEYS as readonly string[]).includes(a.key) ? 'builtin:' : 'attr:';
      return leaf(prefix + a.key, a.op, a.value ?? null);
    }
    case 'tag': {
      const tg = v as { any?: string[]; all?: string[]; none?: string[] };
      const rules = (['any', 'all', 'none'] as const).filter((m) => tg[m]?.length).map((m) => leaf('tag', m, tg[m]));
      return rules.length === 1 ? rules[0] : { id: nid(), combinator: 'and', rules };
    }
    case 'stage':
      return leaf('stage', 'in', (v as Node).in);
    case 'owner': {
      const o = v as { in?: string[]; public?: boolean | null };
      const rules: RuleType[] = [];
      if (o.in?.length) rules.push(leaf('owner', 'in', o.in));
      if (o.public === true) rules.push(leaf('owner', 'public', null));
      if (o.public === false) rules.push(leaf('owner', 'owned', null));
      return rules.length === 1 ? rules[0] : { id: nid(), combinator: 'and', rules };
    }
    case 'event': {
      const e = v as { name: string; minCount?: number; maxCount?: number; withinDays?: number; since?: string; until?: string; where?: unknown[] };
      if (e.since || e.until || e.where?.length) throw new UnsupportedRule('event windows by date and property filters');
      if (e.maxCount === 0 && !e.minCount) return leaf('event', 'didNot', { name: e.name, withinDays: e.withinDays ?? null });
      return leaf('event', 'did', { name: e.name, minCount: e.minCount ?? null, maxCount: e.maxCount ?? null, withinDays: e.withinDays ?? null });
    }
    case 'segment':
      return leaf('segment', 'in', v);
  }
  throw new UnsupportedRule(`${k} inside a group`);
}

function asGroup(r: RuleType | RuleGroupType): RuleGroupType {
  return isGroup(r) ? r : { id: nid(), combinator: 'and', rules: [r] };
}

/**
 * fromRule turns a saved rule into the builder's state. Throws
 * UnsupportedRule for what the builder cannot show (set operations below the
 * top, event date windows); the editor then offers the rule as JSON.
 */
export function fromRule(rule: unknown): BuilderState {
  if (!rule || typeof rule !== 'object') return { query: emptyQuery(), setOp: null, operands: [] };
  const n = rule as Node;
  for (const op of ['intersect', 'union', 'difference'] as const) {
    if (Array.isArray(n[op])) {
      let query = emptyQuery();
      const operands: Operand[] = [];
      let seen = false;
      for (const child of n[op] as Node[]) {
        if (typeof child.segment === 'string' && Object.keys(child).length === 1) {
          operands.push({ kind: 'segment', id: child.segment });
        } else {
          if (seen) throw new UnsupportedRule('more than one condition operand');
          seen = true;
          query = asGroup(nodeToBuilder(child));
          operands.push({ kind: 'conditions' });
        }
      }
      return { query, setOp: op, operands };
    }
  }
  return { query: asGroup(nodeToBuilder(n)), setOp: null, operands: [] };
}
