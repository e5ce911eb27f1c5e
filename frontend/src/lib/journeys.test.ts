import { describe, expect, it } from 'vitest';
import type { RuleGroupType } from 'react-querybuilder';
import {
  createInput, draftProblems, emptyJourney, funnelRows, leadSearchWhere, newStep, opaqueID, opaqueRule, placeErrors, statusActions, stepFieldErrors,
  stepProblems, stepsFromDefinition, stepToInput, triggerFromJSON, triggerToInput, updateInput, type JourneyDraft, type StepDraft,
} from './journeys';

const U1 = '0190f0aa-1111-7123-8abc-0123456789ab';
const U2 = '0190f0aa-2222-7123-8abc-0123456789ab';
const opaque = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');
const cityIs = (v: string): RuleGroupType => ({ combinator: 'and', rules: [{ field: 'attr:city', operator: 'EQ', value: v }] });

describe('opaque ids', () => {
  it('encodes raw UUIDs as the API does (base64url of Type:uuid) and leaves others', () => {
    expect(opaqueID('Tag', U1)).toBe(opaque('Tag', U1));
    expect(opaqueID('Tag', U1.toUpperCase())).toBe(opaque('Tag', U1));
    expect(opaqueID('Tag', opaque('Tag', U1))).toBe(opaque('Tag', U1));
    expect(opaqueID('Tag', '')).toBe('');
  });
  it('makes a saved rule\'s tags, stages, owners and segments opaque, not attribute values', () => {
    expect(opaqueRule({ and: [{ tag: { any: [U1] } }, { not: { stage: { in: [U2] } } }, { owner: { in: [U1] } }, { owner: { public: true } },
      { segment: U2 }, { attribute: { key: 'city', op: 'EQ', value: U1 } }] })).toEqual({
      and: [{ tag: { any: [opaque('Tag', U1)] } }, { not: { stage: { in: [opaque('Stage', U2)] } } }, { owner: { in: [opaque('User', U1)] } },
        { owner: { public: true } }, { segment: opaque('Segment', U2) }, { attribute: { key: 'city', op: 'EQ', value: U1 } }],
    });
  });
});

describe('triggers', () => {
  it('builds exactly one key with its value', () => {
    expect(triggerToInput({ kind: 'manual', value: 'x' })).toEqual({ manual: {} });
    expect(triggerToInput({ kind: 'leadCreated', value: '  ' })).toEqual({ leadCreated: { source: null } });
    expect(triggerToInput({ kind: 'leadCreated', value: ' expo ' })).toEqual({ leadCreated: { source: 'expo' } });
    expect(triggerToInput({ kind: 'tagAdded', value: 'T' })).toEqual({ tagAdded: { tagID: 'T' } });
    expect(triggerToInput({ kind: 'event', value: ' paid ' })).toEqual({ event: { name: 'paid' } });
    expect(triggerToInput({ kind: 'wecomLost', value: '' })).toEqual({ wecomLost: {} });
  });
  it('reads a saved trigger back, raw ids made opaque', () => {
    expect(triggerFromJSON({ tagAdded: { tagID: U1 } })).toEqual({ kind: 'tagAdded', value: opaque('Tag', U1) });
    expect(triggerFromJSON({ contactWayAdded: { contactWayID: U2 } })).toEqual({ kind: 'contactWayAdded', value: opaque('ContactWay', U2) });
    expect(triggerFromJSON({ leadCreated: {} })).toEqual({ kind: 'leadCreated', value: '' });
    expect(triggerFromJSON({ manual: {} })).toEqual({ kind: 'manual', value: '' });
    expect(triggerFromJSON(null)).toEqual({ kind: 'manual', value: '' });
  });
});

describe('steps from the form', () => {
  it('sends only the wait parts that are set', () => {
    const w = { ...newStep('wait'), days: 2, hours: 0, minutes: null, atLocalTime: ' 09:30 ' } as StepDraft;
    expect(stepToInput(w)).toEqual({ wait: { days: 2, atLocalTime: '09:30' } });
  });
  it('sends a condition\'s rule from the reused segment builder, with otherwise', () => {
    const c = { ...newStep('condition'), rule: { query: cityIs('上海'), json: null }, otherwise: 'SKIP_NEXT' } as StepDraft;
    expect(stepToInput(c)).toEqual({ condition: { rule: { attribute: { key: 'city', op: 'EQ', value: '上海' } }, otherwise: 'SKIP_NEXT' } });
  });
  it('names a user only for assignee USER and trims the texts', () => {
    const t = { ...newStep('createTask'), title: ' 回访 ', description: ' ', dueInHours: 0, assignee: 'OWNER', userID: 'U' } as StepDraft;
    expect(stepToInput(t)).toEqual({ createTask: { title: '回访', description: null, dueInHours: 0, assignee: 'OWNER', userID: null } });
    expect(stepToInput({ ...t, assignee: 'USER' } as StepDraft)).toMatchObject({ createTask: { assignee: 'USER', userID: 'U' } });
  });
  it('keeps a sendMessage step\'s settings the builder does not show (cap, quiet hours)', () => {
    const [s] = stepsFromDefinition([{ sendMessage: { channel: 'sms', template: 'hi', frequencyCap: { max: 1, days: 7 } } }]);
    expect(stepToInput(s)).toEqual({ sendMessage: { channel: 'sms', subject: null, template: 'hi', frequencyCap: { max: 1, days: 7 } } });
  });
  it('finds what the input types need before sending, on the step\'s field', () => {
    expect(stepProblems(newStep('condition'))).toEqual([{ field: 'rule', key: 'journey.err.ruleEmpty' }]);
    expect(stepProblems({ ...newStep('condition'), rule: { query: cityIs(''), json: null } } as StepDraft)).toEqual([{ field: 'rule', key: 'journey.err.ruleEmpty' }]);
    expect(stepProblems({ ...newStep('condition'), rule: { query: cityIs(''), json: '{' } } as StepDraft)).toEqual([{ field: 'rule', key: 'journey.err.ruleJson' }]);
    expect(stepProblems(newStep('createTask')).map((p) => p.field)).toEqual(['title']);
    expect(stepProblems({ ...newStep('createTask'), title: 'x', assignee: 'USER' } as StepDraft).map((p) => p.field)).toEqual(['userID']);
    expect(stepProblems(newStep('addTags')).map((p) => p.field)).toEqual(['tagIDs']);
    // A wait of nothing is the API's to refuse (on the step).
    expect(stepProblems({ ...newStep('wait'), days: null } as StepDraft)).toEqual([]);
  });
});

describe('a saved journey back into the builder', () => {
  const def = [
    { wait: { days: 1, atLocalTime: '10:00' } },
    { condition: { rule: { tag: { any: [U1] } }, otherwise: 'EXIT' } },
    { addTags: { tagIDs: [U1] } },
    { createTask: { title: '回访', assignee: 'USER', userID: U2 } },
    { condition: { rule: { intersect: [{ segment: U1 }, { segment: U2 }] }, otherwise: 'SKIP_NEXT' } },
    { reassign: { to: 'POOL' } },
  ];
  it('reads every step, ids opaque; a task due at once (no dueInHours) is 0 hours', () => {
    const steps = stepsFromDefinition(def);
    expect(steps.map((s) => s.kind)).toEqual(['wait', 'condition', 'addTags', 'createTask', 'condition', 'reassign']);
    expect(stepToInput(steps[0])).toEqual({ wait: { days: 1, atLocalTime: '10:00' } });
    expect(stepToInput(steps[1])).toEqual({ condition: { rule: { tag: { any: [opaque('Tag', U1)] } }, otherwise: 'EXIT' } });
    expect(stepToInput(steps[2])).toEqual({ addTags: { tagIDs: [opaque('Tag', U1)] } });
    expect(stepToInput(steps[3])).toEqual({ createTask: { title: '回访', description: null, dueInHours: 0, assignee: 'USER', userID: opaque('User', U2) } });
    // A set operation is not the builder's: it stays JSON, and is sent as it was.
    const c = steps[4];
    expect(c.kind === 'condition' && c.rule.json).toBeTruthy();
    expect(stepToInput(c)).toEqual({ condition: { rule: { intersect: [{ segment: opaque('Segment', U1) }, { segment: opaque('Segment', U2) }] }, otherwise: 'SKIP_NEXT' } });
    expect(stepToInput(steps[5])).toEqual({ reassign: { to: 'POOL', excludeCurrentOwner: true } });
  });

  it('sends steps and exit rule on an edit only when they changed (a new version)', () => {
    const loaded: JourneyDraft = { name: 'A', trigger: { kind: 'manual', value: '' }, steps: stepsFromDefinition(def), exitRule: null, reentry: false };
    const renamed = { ...loaded, name: ' B ' };
    expect(updateInput(renamed, loaded)).toEqual({ input: { name: 'B', reentry: false }, newVersion: false });
    const moreSteps = { ...loaded, steps: [...loaded.steps, newStep('webhook')] };
    const u = updateInput(moreSteps, loaded);
    expect(u.newVersion).toBe(true);
    expect(u.input.steps).toHaveLength(7);
    const withExit = { ...loaded, exitRule: { query: cityIs('北京'), json: null } };
    expect(updateInput(withExit, loaded).input).toEqual({ name: 'A', reentry: false, exitRule: { attribute: { key: 'city', op: 'EQ', value: '北京' } } });
    expect(updateInput(loaded, withExit).input).toEqual({ name: 'A', reentry: false, clearExitRule: true });
    // A new trigger is sent, without a new version.
    const byEvent = { ...loaded, trigger: { kind: 'event' as const, value: 'viewed_price' } };
    expect(updateInput(byEvent, loaded)).toEqual({ input: { name: 'A', reentry: false, trigger: { event: { name: 'viewed_price' } } }, newVersion: false });
  });
});

describe('the whole journey', () => {
  it('creates with the trigger, the steps in order and the exit rule', () => {
    const d: JourneyDraft = {
      ...emptyJourney(),
      name: ' 新客培育 ',
      trigger: { kind: 'tagAdded', value: 'T' },
      steps: [{ ...newStep('addTags'), tagIDs: ['T2'] } as StepDraft, { ...newStep('wait'), days: 3 } as StepDraft],
      exitRule: { query: cityIs('北京'), json: null },
    };
    expect(createInput(d)).toEqual({
      name: '新客培育', trigger: { tagAdded: { tagID: 'T' } },
      steps: [{ addTags: { tagIDs: ['T2'] } }, { wait: { days: 3 } }],
      exitRule: { attribute: { key: 'city', op: 'EQ', value: '北京' } }, reentry: false,
    });
    expect(draftProblems(d).count).toBe(0);
  });
  it('counts the problems by place: a step, the exit rule, a trigger without its value', () => {
    const d: JourneyDraft = { ...emptyJourney(), trigger: { kind: 'stageEntered', value: '' }, steps: [newStep('wait'), newStep('condition')], exitRule: { query: { combinator: 'and', rules: [] }, json: null } };
    const p = draftProblems(d);
    expect([...p.steps.keys()]).toEqual([1]);
    expect(p.exitRule?.key).toBe('journey.err.ruleEmpty');
    expect(p.trigger).toBe(true);
    expect(p.count).toBe(3);
    expect(draftProblems({ ...d, trigger: { kind: 'leadCreated', value: '' } }).trigger).toBe(false);
  });
});

describe('placeErrors', () => {
  it('puts each path on the step it names, with the field inside the step', () => {
    const p = placeErrors([
      { field: 'input.steps[2].wait.atLocalTime', message: 'a time of day HH:MM', code: 'BAD_USER_INPUT' },
      { field: 'input.steps.1.condition.rule.and[0].attribute.key', message: 'unknown field', code: 'BAD_USER_INPUT' },
      { field: 'input.steps[3]', message: 'a step needs exactly one key', code: 'BAD_USER_INPUT' },
      { field: 'input.steps[3].wait', message: 'wait for some minutes', code: 'BAD_USER_INPUT' },
      { field: 'input.steps[0].addTags.tagIDs[1]', message: 'tag not found', code: 'NOT_FOUND' },
      { field: 'input.trigger.tagAdded.tagID', message: 'tag not found', code: 'NOT_FOUND' },
      { field: 'input.exitRule.attribute.key', message: 'masked', code: 'FORBIDDEN' },
      { field: 'input.name', message: 'required', code: 'BAD_USER_INPUT' },
      { field: 'input.steps', message: 'a journey needs at least one step', code: 'BAD_USER_INPUT' },
      { message: 'forbidden', code: 'FORBIDDEN' },
    ]);
    expect([...p.steps.keys()].sort()).toEqual([0, 1, 2, 3]);
    expect(stepFieldErrors(p, 2, 'atLocalTime')).toEqual(['a time of day HH:MM']);
    expect(stepFieldErrors(p, 2, '')).toEqual([]);
    expect(stepFieldErrors(p, 1, 'rule')).toEqual(['unknown field']);
    expect(stepFieldErrors(p, 3, '')).toEqual(['a step needs exactly one key', 'wait for some minutes']);
    expect(stepFieldErrors(p, 0, 'tagIDs')).toEqual(['tag not found']);
    expect(p.trigger).toEqual(['tag not found']);
    expect(p.exitRule).toEqual(['masked']);
    expect(p.name).toEqual(['required']);
    expect(p.rest.map((e) => e.message)).toEqual(['a journey needs at least one step', 'forbidden']);
    expect(stepFieldErrors(null, 0, '')).toEqual([]);
  });
});

describe('status and counts', () => {
  it('offers the transitions the API allows', () => {
    expect(statusActions('DRAFT')).toEqual(['activate', 'archive']);
    expect(statusActions('ACTIVE')).toEqual(['pause', 'archive']);
    expect(statusActions('PAUSED')).toEqual(['resume', 'archive']);
    expect(statusActions('ARCHIVED')).toEqual([]);
  });
  it('orders the funnel by step and rates each against the first', () => {
    const rows = funnelRows([
      { index: 1, kind: 'condition', reached: 5, completed: 3, exited: 2, failed: 0 },
      { index: 0, kind: 'addTags', reached: 10, completed: 10, exited: 0, failed: 0 },
    ]);
    expect(rows.map((r) => [r.index, r.rate])).toEqual([[0, 1], [1, 0.5]]);
    expect(funnelRows([{ index: 0, kind: 'wait', reached: 0, completed: 0, exited: 0, failed: 0 }])[0].rate).toBeNull();
  });
});

describe('leadSearchWhere', () => {
  it('searches by phone, email or name, active leads only', () => {
    expect(leadSearchWhere(' ')).toEqual({ status: 'ACTIVE' });
    expect(leadSearchWhere('+86 139-1234-5678')).toEqual({ status: 'ACTIVE', phone: '+8613912345678' });
    expect(leadSearchWhere('13912345678')).toEqual({ status: 'ACTIVE', phone: '13912345678' });
    expect(leadSearchWhere('a@b.cn')).toEqual({ status: 'ACTIVE', email: 'a@b.cn' });
    expect(leadSearchWhere('王芳')).toEqual({ status: 'ACTIVE', nameContainsFold: '王芳' });
    expect(leadSearchWhere('139')).toEqual({ status: 'ACTIVE', nameContainsFold: '139' });
  });
});
