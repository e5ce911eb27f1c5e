import { describe, expect, it } from 'vitest';
import { parse, print } from '@0no-co/graphql.web';
import { isStaleSchema, readTyped, typedErrorMap, typedInput, typedSelection, typedValue, withTypedFields, type TypedDef } from './typedFields';

// Enum names as the API serves them (FieldOption.graphqlName); the hash name
// is deliberately not what any local rule would make, so a re-implementation fails.
const defs: TypedDef[] = [
  { key: 'budget', widget: 'number', options: [] },
  { key: 'city', widget: 'select', options: [{ value: 'shanghai', label: '上海', graphqlName: 'SHANGHAI' }, { value: '北京', label: '北京', graphqlName: 'V_0123456789' }] },
  { key: 'tags_x', widget: 'multiSelect', options: [{ value: 'a-b', label: 'A', graphqlName: 'A_B' }, { value: 'c', label: 'C', graphqlName: 'V_ffff' }] },
  { key: 'visit', widget: 'date', options: [] },
  { key: 'old', widget: 'text', options: [], archived: true },
];

describe('typedSelection', () => {
  it('selects the live fields by key, aliased when asked', () => {
    expect(typedSelection(defs)).toBe('budget city tags_x visit');
    expect(typedSelection(defs, (k) => (k === 'city' ? 'cf_city' : k))).toBe('budget cf_city: city tags_x visit');
  });
});

describe('withTypedFields', () => {
  const doc = parse(`query Lead($id: ID!) { node(id: $id) { __typename ... on Lead { id name } } }`);
  it('spreads a fragment of the custom fields into the inline fragment on Lead', () => {
    const out = print(withTypedFields(doc, defs));
    expect(out).toContain('... on Lead {\n      id\n      name\n      ...LeadTypedFields\n    }');
    expect(out).toMatch(/fragment LeadTypedFields on Lead {\s+budget\s+city\s+tags_x\s+visit\s+}/);
    expect(out).not.toContain('old');
    expect(print(doc)).not.toContain('LeadTypedFields'); // the generated document is not changed
  });
  it('goes beside a named spread for lists', () => {
    const list = parse(`query Leads { leads { edges { node { ...LeadRow } } } } fragment LeadRow on Lead { id }`);
    const out = print(withTypedFields(list, defs, { besideSpread: 'LeadRow', alias: (k) => `cf_${k}` }));
    expect(out).toContain('...LeadRow\n        ...LeadTypedFields');
    expect(out).toContain('cf_budget: budget');
  });
  it('is a new document for a client that keyed the generated one (urql: __key, loc)', async () => {
    const { createRequest } = await import('@urql/core');
    const keyed = parse(`query Lead($id: ID!) { node(id: $id) { ... on Lead { id } } }`);
    const plain = createRequest(keyed, { id: '1' });
    const typed = createRequest(withTypedFields(keyed, defs), { id: '1' });
    expect(typed.key).not.toBe(plain.key);
    expect(typed.query.loc?.source.body).toContain('fragment LeadTypedFields on Lead');
  });
  it('reaches a Lead selection nested in one it changes', () => {
    const nested = parse(`query Q { node(id: "1") { ... on Lead { id mergedInto { ... on Lead { id } } } } }`);
    const out = print(withTypedFields(nested, defs));
    expect(out.match(/\.\.\.LeadTypedFields/g)).toHaveLength(2);
  });
  it('returns the document itself without live fields', () => {
    expect(withTypedFields(doc, [defs[4]])).toBe(doc);
  });
});

describe('readTyped', () => {
  it('turns enum names back into option values', () => {
    expect(readTyped({ id: '1', budget: 12.5, city: 'V_0123456789', tags_x: ['V_ffff', 'A_B', 'GONE'], visit: '2026-01-02' }, defs)).toEqual({
      budget: 12.5, city: '北京', tags_x: ['c', 'a-b'], visit: '2026-01-02',
    });
  });
  it('reads missing and null fields as null, unknown enum names as null', () => {
    expect(readTyped({ city: 'NOPE' }, defs)).toEqual({ budget: null, city: null, tags_x: null, visit: null });
    expect(readTyped({ cf_city: 'SHANGHAI' }, defs, (k) => `cf_${k}`).city).toBe('shanghai');
  });
});

describe('typedInput', () => {
  it('writes option values as enum names, dates as YYYY-MM-DD, empty as null', () => {
    expect(typedInput(defs, { budget: 3, city: '北京', tags_x: ['a-b'], visit: '2026-03-04T10:00:00Z', old: 'x' })).toEqual({
      budget: 3, city: 'V_0123456789', tags_x: ['A_B'], visit: '2026-03-04',
    });
    expect(typedValue(defs[3], { format: (f: string) => (f === 'YYYY-MM-DD' ? '2026-05-06' : '?') })).toBe('2026-05-06');
    expect(typedInput(defs, { budget: '', city: undefined, tags_x: [], visit: null })).toEqual({ budget: null, city: null, tags_x: null, visit: null });
  });
  it('sends only changes against before, a cleared field as null', () => {
    const before = { budget: 3, city: 'shanghai', tags_x: ['c'], visit: null };
    expect(typedInput(defs, { budget: 3, city: '北京', tags_x: [], visit: null }, { before })).toEqual({ city: 'V_0123456789', tags_x: null });
  });
  it('leaves out empty fields for a new lead, and what skip says', () => {
    expect(typedInput(defs, { budget: 0, city: '', tags_x: ['c'] }, { omitEmpty: true, skip: (d) => d.key === 'tags_x' })).toEqual({ budget: 0 });
  });
  it('refuses an option the API gave no name for', () => {
    expect(() => typedValue(defs[1], 'shenzhen')).toThrow(/shenzhen/);
  });
});

describe('typedErrorMap', () => {
  it('maps typed and generic paths onto the form', () => {
    const m = typedErrorMap(defs, ['input.', 'input.leads[0].']);
    expect(m['input.budget']).toEqual(['attributes', 'budget']);
    expect(m['input.leads[0].city']).toEqual(['attributes', 'city']);
    expect(m['input.attributes.visit']).toEqual(['attributes', 'visit']);
    expect(m['input.name']).toBeUndefined();
  });
  it('knows a stale schema', () => {
    expect(isStaleSchema(['GRAPHQL_VALIDATION_FAILED'])).toBe(true);
    expect(isStaleSchema([undefined, 'BAD_USER_INPUT'])).toBe(false);
  });
});
