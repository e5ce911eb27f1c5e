// The SOP journey builder's logic, kept out of the pages so it is tested:
// the builder's drafts of a trigger and of each step and the API's inputs
// (both ways: a saved journey's trigger and definition come back as JSON
// with raw UUIDs, which are turned into the API's opaque IDs), what an edit
// sends (steps and exit rule only when they changed: a change makes a new
// version), the API's input errors placed on the step (and the field of the
// step) they name, the status actions, and the funnel's figures.
import type { RuleGroupType } from 'react-querybuilder';
import type { CombinedError } from 'urql';
import { apiErrors, fieldPath, type APIError } from '../api/errors';
import type {
  CreateJourneyInput, JourneyOtherwise, JourneyReassignTo, JourneyStatus, JourneyStepInput, JourneyTaskAssignee,
  JourneyTriggerInput, LeadWhereInput, SegmentRuleInput, UpdateJourneyInput,
} from '../gql/graphql';
import { emptyQuery, fromRule, groupToInput, UnsupportedRule } from './segmentRule';

// ---------------------------------------------------------------- triggers

export const TRIGGER_KINDS = ['manual', 'leadCreated', 'tagAdded', 'stageEntered', 'segmentEntered', 'event', 'contactWayAdded', 'wecomLost'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

/** The trigger as the builder holds it: the kind and the one value it takes (source, id or event name). */
export interface TriggerDraft {
  kind: TriggerKind;
  value: string;
}

/** What the trigger's value is, for the control that picks it (none: the trigger takes nothing). */
export function triggerValueKind(kind: TriggerKind): 'source' | 'tag' | 'stage' | 'segment' | 'event' | 'contactWay' | 'none' {
  switch (kind) {
    case 'leadCreated':
      return 'source';
    case 'tagAdded':
      return 'tag';
    case 'stageEntered':
      return 'stage';
    case 'segmentEntered':
      return 'segment';
    case 'event':
      return 'event';
    case 'contactWayAdded':
      return 'contactWay';
    default:
      return 'none';
  }
}

export function triggerToInput(d: TriggerDraft): JourneyTriggerInput {
  const v = d.value.trim();
  switch (d.kind) {
    case 'leadCreated':
      return { leadCreated: { source: v || null } };
    case 'tagAdded':
      return { tagAdded: { tagID: v } };
    case 'stageEntered':
      return { stageEntered: { stageID: v } };
    case 'segmentEntered':
      return { segmentEntered: { segmentID: v } };
    case 'event':
      return { event: { name: v } };
    case 'contactWayAdded':
      return { contactWayAdded: { contactWayID: v } };
    case 'wecomLost':
      return { wecomLost: {} };
    default:
      return { manual: {} };
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** The draft of a saved trigger (Journey.trigger, whose ids are raw UUIDs). */
export function triggerFromJSON(j: unknown): TriggerDraft {
  if (!isObj(j)) return { kind: 'manual', value: '' };
  const kind = (TRIGGER_KINDS as readonly string[]).find((k) => j[k] != null) as TriggerKind | undefined;
  if (!kind) return { kind: 'manual', value: '' };
  const body = isObj(j[kind]) ? (j[kind] as Obj) : {};
  const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
  switch (kind) {
    case 'leadCreated':
      return { kind, value: str('source') };
    case 'tagAdded':
      return { kind, value: opaqueID('Tag', str('tagID')) };
    case 'stageEntered':
      return { kind, value: opaqueID('Stage', str('stageID')) };
    case 'segmentEntered':
      return { kind, value: opaqueID('Segment', str('segmentID')) };
    case 'event':
      return { kind, value: str('name') };
    case 'contactWayAdded':
      return { kind, value: opaqueID('ContactWay', str('contactWayID')) };
    default:
      return { kind, value: '' };
  }
}

// ---------------------------------------------------------------- ids

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function b64url(s: string): string {
  const b = typeof btoa === 'function' ? btoa(s) : Buffer.from(s, 'binary').toString('base64');
  return b.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The API's opaque ID (base64url of "<Type>:<uuid>", internal/gid) of a raw
 * UUID, as Journey.trigger and Journey.definition give them; anything else
 * (an opaque ID already, an empty string) is returned as it is.
 */
export function opaqueID(type: string, id: string): string {
  return UUID_RE.test(id) ? b64url(`${type}:${id.toLowerCase()}`) : id;
}

const opaqueAll = (type: string, v: unknown): string[] => (Array.isArray(v) ? v.map((x) => opaqueID(type, String(x))) : []);

/** A saved segment rule with its raw UUIDs (tags, stages, owners, segments) made opaque. */
export function opaqueRule(r: unknown): unknown {
  if (Array.isArray(r)) return r.map(opaqueRule);
  if (!isObj(r)) return r;
  const out: Obj = {};
  for (const [k, v] of Object.entries(r)) {
    if (v === null || v === undefined) continue;
    if (k === 'tag' && isObj(v)) {
      out.tag = Object.fromEntries(Object.entries(v).map(([m, ids]) => [m, opaqueAll('Tag', ids)]));
    } else if (k === 'stage' && isObj(v)) {
      out.stage = { ...v, in: opaqueAll('Stage', v.in) };
    } else if (k === 'owner' && isObj(v)) {
      out.owner = v.in ? { ...v, in: opaqueAll('User', v.in) } : v;
    } else if (k === 'segment' && typeof v === 'string') {
      out.segment = opaqueID('Segment', v);
    } else if (k === 'attribute') {
      out.attribute = v;
    } else {
      out[k] = opaqueRule(v);
    }
  }
  return out;
}

// ---------------------------------------------------------------- steps

export const STEP_KINDS = ['wait', 'condition', 'addTags', 'removeTags', 'createTask', 'sendMessage', 'moveStage', 'reassign', 'webhook'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** A condition's rule in the builder, or as JSON when the builder cannot show it (set operations, event date windows). */
export interface RuleDraft {
  query: RuleGroupType;
  json: string | null;
}

export type StepDraft = { key: string } & (
  | { kind: 'wait'; days: number | null; hours: number | null; minutes: number | null; atLocalTime: string }
  | { kind: 'condition'; rule: RuleDraft; otherwise: JourneyOtherwise }
  | { kind: 'addTags' | 'removeTags'; tagIDs: string[] }
  | { kind: 'createTask'; title: string; description: string; dueInHours: number | null; assignee: JourneyTaskAssignee; userID: string }
  | { kind: 'sendMessage'; channel: string; subject: string; template: string; extra: Obj }
  | { kind: 'moveStage'; stageID: string }
  | { kind: 'reassign'; to: JourneyReassignTo; excludeCurrentOwner: boolean }
  | { kind: 'webhook'; url: string }
);

let seq = 0;
const nextKey = () => `s${++seq}`;

export const emptyRule = (): RuleDraft => ({ query: emptyQuery(), json: null });

/** A new step of kind with the builder's defaults. */
export function newStep(kind: StepKind): StepDraft {
  const key = nextKey();
  switch (kind) {
    case 'wait':
      return { key, kind, days: 1, hours: null, minutes: null, atLocalTime: '' };
    case 'condition':
      return { key, kind, rule: emptyRule(), otherwise: 'EXIT' };
    case 'addTags':
    case 'removeTags':
      return { key, kind, tagIDs: [] };
    case 'createTask':
      return { key, kind, title: '', description: '', dueInHours: 24, assignee: 'OWNER', userID: '' };
    case 'sendMessage':
      return { key, kind, channel: '', subject: '', template: '', extra: {} };
    case 'moveStage':
      return { key, kind, stageID: '' };
    case 'reassign':
      return { key, kind, to: 'RULES', excludeCurrentOwner: true };
    case 'webhook':
      return { key, kind, url: '' };
  }
}

/** The rule a draft holds: null when it has no complete condition, undefined when its JSON does not parse. */
export function ruleOf(d: RuleDraft): SegmentRuleInput | null | undefined {
  if (d.json !== null) {
    try {
      const v = JSON.parse(d.json) as unknown;
      return isObj(v) ? (v as SegmentRuleInput) : undefined;
    } catch {
      return undefined;
    }
  }
  return groupToInput(d.query);
}

/** The draft of a saved rule: the builder's tree, or JSON when the builder cannot show it. */
export function ruleDraft(rule: unknown): RuleDraft {
  if (!isObj(rule)) return emptyRule();
  const r = opaqueRule(rule);
  try {
    const s = fromRule(r);
    if (!s.setOp) return { query: s.query, json: null };
  } catch (e) {
    if (!(e instanceof UnsupportedRule)) throw e;
  }
  return { query: emptyQuery(), json: JSON.stringify(r, null, 2) };
}

const num = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A problem the builder finds before sending: which field of the step (or the whole step: ''). */
export interface StepProblem {
  field: string;
  key: 'journey.err.ruleEmpty' | 'journey.err.ruleJson' | 'journey.err.titleRequired' | 'journey.err.tagsRequired' | 'journey.err.stageRequired' | 'journey.err.userRequired' | 'journey.err.channelRequired' | 'journey.err.templateRequired' | 'journey.err.urlRequired';
}

/**
 * What the builder can tell is missing in a step before the API is asked:
 * only what the input's types need (a condition's rule, a task's title, a
 * tag list…). Everything else — a wait of nothing, a time of day that is not
 * HH:MM, a tag deleted meanwhile — is the API's to say, on the step.
 */
export function stepProblems(s: StepDraft): StepProblem[] {
  const out: StepProblem[] = [];
  switch (s.kind) {
    case 'condition': {
      const r = ruleOf(s.rule);
      if (r === undefined) out.push({ field: 'rule', key: 'journey.err.ruleJson' });
      else if (r === null) out.push({ field: 'rule', key: 'journey.err.ruleEmpty' });
      break;
    }
    case 'createTask':
      if (!s.title.trim()) out.push({ field: 'title', key: 'journey.err.titleRequired' });
      if (s.assignee === 'USER' && !s.userID) out.push({ field: 'userID', key: 'journey.err.userRequired' });
      break;
    case 'addTags':
    case 'removeTags':
      if (s.tagIDs.length === 0) out.push({ field: 'tagIDs', key: 'journey.err.tagsRequired' });
      break;
    case 'moveStage':
      if (!s.stageID) out.push({ field: 'stageID', key: 'journey.err.stageRequired' });
      break;
    case 'sendMessage':
      if (!s.channel) out.push({ field: 'channel', key: 'journey.err.channelRequired' });
      if (!s.template.trim()) out.push({ field: 'template', key: 'journey.err.templateRequired' });
      break;
    case 'webhook':
      if (!s.url.trim()) out.push({ field: 'url', key: 'journey.err.urlRequired' });
      break;
  }
  return out;
}

/** The API's input of a step. Call stepProblems first: a step with problems gives what it can. */
export function stepToInput(s: StepDraft): JourneyStepInput {
  switch (s.kind) {
    case 'wait': {
      const w: NonNullable<JourneyStepInput['wait']> = {};
      if (num(s.days)) w.days = num(s.days);
      if (num(s.hours)) w.hours = num(s.hours);
      if (num(s.minutes)) w.minutes = num(s.minutes);
      if (s.atLocalTime.trim()) w.atLocalTime = s.atLocalTime.trim();
      return { wait: w };
    }
    case 'condition':
      return { condition: { rule: ruleOf(s.rule) ?? {}, otherwise: s.otherwise } };
    case 'addTags':
      return { addTags: { tagIDs: s.tagIDs } };
    case 'removeTags':
      return { removeTags: { tagIDs: s.tagIDs } };
    case 'createTask':
      return {
        createTask: {
          title: s.title.trim(),
          description: s.description.trim() || null,
          dueInHours: num(s.dueInHours),
          assignee: s.assignee,
          userID: s.assignee === 'USER' ? s.userID || null : null,
        },
      };
    case 'sendMessage':
      return { sendMessage: { ...s.extra, channel: s.channel, subject: s.subject.trim() || null, template: s.template } };
    case 'moveStage':
      return { moveStage: { stageID: s.stageID } };
    case 'reassign':
      return { reassign: { to: s.to, excludeCurrentOwner: s.excludeCurrentOwner } };
    case 'webhook':
      return { webhook: { url: s.url.trim() } };
  }
}

/** The drafts of a saved journey's steps (Journey.definition: [JourneyStepInput] with raw UUIDs). */
export function stepsFromDefinition(def: unknown): StepDraft[] {
  if (!Array.isArray(def)) return [];
  return def.flatMap((raw): StepDraft[] => {
    if (!isObj(raw)) return [];
    const kind = (STEP_KINDS as readonly string[]).find((k) => raw[k] != null) as StepKind | undefined;
    if (!kind) return [];
    const b = isObj(raw[kind]) ? (raw[kind] as Obj) : {};
    const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : '');
    const n = (k: string) => (typeof b[k] === 'number' ? (b[k] as number) : null);
    const key = nextKey();
    switch (kind) {
      case 'wait':
        return [{ key, kind, days: n('days'), hours: n('hours'), minutes: n('minutes'), atLocalTime: str('atLocalTime') }];
      case 'condition':
        return [{ key, kind, rule: ruleDraft(b.rule), otherwise: str('otherwise') === 'SKIP_NEXT' ? 'SKIP_NEXT' : 'EXIT' }];
      case 'addTags':
      case 'removeTags':
        return [{ key, kind, tagIDs: opaqueAll('Tag', b.tagIDs) }];
      case 'createTask': {
        const assignee = (['OWNER', 'MANAGER', 'USER'] as const).find((a) => a === b.assignee) ?? 'OWNER';
        // A stored task due at once omits dueInHours (0).
        return [{ key, kind, title: str('title'), description: str('description'), dueInHours: n('dueInHours') ?? 0, assignee, userID: opaqueID('User', str('userID')) }];
      }
      case 'sendMessage': {
        const { channel: _c, subject: _s, template: _t, ...extra } = b;
        return [{ key, kind, channel: str('channel'), subject: str('subject'), template: str('template'), extra }];
      }
      case 'moveStage':
        return [{ key, kind, stageID: opaqueID('Stage', str('stageID')) }];
      case 'reassign':
        return [{ key, kind, to: b.to === 'POOL' ? 'POOL' : 'RULES', excludeCurrentOwner: b.excludeCurrentOwner !== false }];
      case 'webhook':
        return [{ key, kind, url: str('url') }];
    }
  });
}

// ---------------------------------------------------------------- the whole journey

export interface JourneyDraft {
  name: string;
  trigger: TriggerDraft;
  steps: StepDraft[];
  /** The exit rule, when the journey has one. */
  exitRule: RuleDraft | null;
  reentry: boolean;
}

export const emptyJourney = (): JourneyDraft => ({ name: '', trigger: { kind: 'manual', value: '' }, steps: [newStep('wait')], exitRule: null, reentry: false });

/** Problems found before sending, by where they are: the steps' by index, and the exit rule's. */
export interface DraftProblems {
  steps: Map<number, StepProblem[]>;
  exitRule: StepProblem | null;
  trigger: boolean;
  count: number;
}

export function draftProblems(d: JourneyDraft): DraftProblems {
  const steps = new Map<number, StepProblem[]>();
  d.steps.forEach((s, i) => {
    const p = stepProblems(s);
    if (p.length) steps.set(i, p);
  });
  let exitRule: StepProblem | null = null;
  if (d.exitRule) {
    const r = ruleOf(d.exitRule);
    if (r === undefined) exitRule = { field: 'rule', key: 'journey.err.ruleJson' };
    else if (r === null) exitRule = { field: 'rule', key: 'journey.err.ruleEmpty' };
  }
  const trigger = triggerValueKind(d.trigger.kind) !== 'none' && triggerValueKind(d.trigger.kind) !== 'source' && !d.trigger.value.trim();
  const count = [...steps.values()].reduce((n, l) => n + l.length, 0) + (exitRule ? 1 : 0) + (trigger ? 1 : 0);
  return { steps, exitRule, trigger, count };
}

export function createInput(d: JourneyDraft): CreateJourneyInput {
  const exit = d.exitRule ? ruleOf(d.exitRule) : null;
  return {
    name: d.name.trim(),
    trigger: triggerToInput(d.trigger),
    steps: d.steps.map(stepToInput),
    exitRule: exit ?? null,
    reentry: d.reentry,
  };
}

/**
 * What an edit sends: the name and reentry, and the trigger, the steps and
 * the exit rule only when they differ from what was loaded (a change of the
 * steps or the exit rule makes a new version; enrolled leads finish on the
 * one they entered; a new trigger enrols from then on).
 */
export function updateInput(d: JourneyDraft, loaded: JourneyDraft): { input: UpdateJourneyInput; newVersion: boolean } {
  const input: UpdateJourneyInput = { name: d.name.trim(), reentry: d.reentry };
  const trigger = triggerToInput(d.trigger);
  if (JSON.stringify(trigger) !== JSON.stringify(triggerToInput(loaded.trigger))) input.trigger = trigger;
  const steps = d.steps.map(stepToInput);
  const stepsChanged = JSON.stringify(steps) !== JSON.stringify(loaded.steps.map(stepToInput));
  if (stepsChanged) input.steps = steps;
  const exit = d.exitRule ? (ruleOf(d.exitRule) ?? null) : null;
  const was = loaded.exitRule ? (ruleOf(loaded.exitRule) ?? null) : null;
  const exitChanged = JSON.stringify(exit) !== JSON.stringify(was);
  if (exitChanged) {
    if (exit) input.exitRule = exit;
    else input.clearExitRule = true;
  }
  return { input, newVersion: stepsChanged || exitChanged };
}

// ---------------------------------------------------------------- the API's errors

/** An API error placed in the builder: on a step (and a field of it), the trigger, the exit rule, the name, or the rest. */
export interface PlacedErrors {
  /** By step index: the field inside the step ('' for the step as a whole, e.g. "wait"), and the message. */
  steps: Map<number, { field: string; message: string }[]>;
  trigger: string[];
  exitRule: string[];
  name: string[];
  rest: APIError[];
}

/**
 * Places each input error of a failed createJourney / updateJourney: a path
 * like input.steps[2].wait.atLocalTime (or input.steps.2.wait.atLocalTime)
 * goes on step 2, field "atLocalTime"; input.steps[1] (two keys or none) and
 * input.steps[3].wait (a wait of nothing) on the step as a whole;
 * input.steps[0].condition.rule.and[0]… on the condition's rule;
 * input.steps[0].addTags.tagIDs[1] on its tags; input.steps (no step) and
 * errors without a field are the rest.
 */
export function placeErrors(err: CombinedError | APIError[] | undefined | null): PlacedErrors {
  const out: PlacedErrors = { steps: new Map(), trigger: [], exitRule: [], name: [], rest: [] };
  const list = Array.isArray(err) ? err : apiErrors(err);
  for (const e of list) {
    if (!e.field) {
      out.rest.push(e);
      continue;
    }
    const path = fieldPath(e.field);
    const head = path[0];
    if (head === 'steps' && path.length > 1) {
      const index = typeof path[1] === 'number' ? path[1] : /^\d+$/.test(String(path[1])) ? Number(path[1]) : NaN;
      if (Number.isInteger(index)) {
        // path[2] is the step's kind; path[3] the field inside it.
        const field = path.length > 3 ? String(path[3]) : '';
        const list2 = out.steps.get(index) ?? [];
        list2.push({ field, message: e.message });
        out.steps.set(index, list2);
        continue;
      }
    }
    if (head === 'trigger') out.trigger.push(e.message);
    else if (head === 'exitRule' || head === 'clearExitRule') out.exitRule.push(e.message);
    else if (head === 'name') out.name.push(e.message);
    else out.rest.push(e);
  }
  return out;
}

/** The messages of a step's errors for one of its fields ('' for the step as a whole). */
export function stepFieldErrors(placed: PlacedErrors | null, index: number, field: string): string[] {
  return (placed?.steps.get(index) ?? []).filter((e) => e.field === field).map((e) => e.message);
}

// ---------------------------------------------------------------- status and counts

export type StatusAction = 'activate' | 'pause' | 'resume' | 'archive';

/** What can be done to a journey in status s (DRAFT → ACTIVE → PAUSED ↔ ACTIVE, anything → ARCHIVED). */
export function statusActions(s: JourneyStatus): StatusAction[] {
  switch (s) {
    case 'DRAFT':
      return ['activate', 'archive'];
    case 'ACTIVE':
      return ['pause', 'archive'];
    case 'PAUSED':
      return ['resume', 'archive'];
    default:
      return [];
  }
}

export const actionStatus: Record<StatusAction, JourneyStatus> = { activate: 'ACTIVE', pause: 'PAUSED', resume: 'ACTIVE', archive: 'ARCHIVED' };

/**
 * What the enrol dialog's search asks for: a phone number (digits, with +,
 * spaces or dashes) matches the lead's phone exactly, an address with @ its
 * email, anything else its name (contains, any case). Only active leads.
 */
export function leadSearchWhere(q: string): LeadWhereInput {
  const s = q.trim();
  if (!s) return { status: 'ACTIVE' };
  if (/^\+?[\d\s-]{7,}$/.test(s)) return { status: 'ACTIVE', phone: s.replace(/[\s-]/g, '') };
  if (s.includes('@')) return { status: 'ACTIVE', email: s };
  return { status: 'ACTIVE', nameContainsFold: s };
}

/** Whether leads can be enrolled by hand (enrollLeads takes active and paused journeys). */
export const canEnroll = (s: JourneyStatus) => s === 'ACTIVE' || s === 'PAUSED';

export interface StepCount {
  index: number;
  kind: string;
  reached: number;
  completed: number;
  exited: number;
  failed: number;
}

/** The funnel's rows: each step of the current version in order, with its share of the first step's leads. */
export function funnelRows(steps: StepCount[]): (StepCount & { rate: number | null })[] {
  const sorted = [...steps].sort((a, b) => a.index - b.index);
  const first = sorted[0]?.reached ?? 0;
  return sorted.map((s) => ({ ...s, rate: first > 0 ? s.reached / first : null }));
}
