import { describe, expect, it } from 'vitest';
import { defaultPrimary, groupChanged } from './duplicates';

describe('defaultPrimary', () => {
  const l = (id: string, status: string, createdAt: string, owner: boolean) => ({ id, status, createdAt, owner: owner ? { id: 'u' } : null });
  it('prefers an active lead, then an owned one, then the oldest', () => {
    expect(defaultPrimary([])).toBeNull();
    expect(defaultPrimary([l('a', 'ARCHIVED', '2026-01-01T00:00:00Z', true), l('b', 'ACTIVE', '2026-06-01T00:00:00Z', false)])).toBe('b');
    expect(defaultPrimary([l('a', 'ACTIVE', '2026-01-01T00:00:00Z', false), l('b', 'ACTIVE', '2026-06-01T00:00:00Z', true)])).toBe('b');
    expect(defaultPrimary([l('a', 'ACTIVE', '2026-06-01T00:00:00Z', true), l('b', 'ACTIVE', '2026-01-01T00:00:00Z', true)])).toBe('b');
  });
});

describe('groupChanged', () => {
  it('reads the CONFLICT at version of a group that changed since it was read', () => {
    expect(groupChanged({ graphQLErrors: [{ extensions: { code: 'CONFLICT', field: 'version', joined: 2, count: 5 } }] })).toEqual({ joined: 2, count: 5 });
    expect(groupChanged({ graphQLErrors: [{ extensions: { code: 'CONFLICT', field: 'version', joined: 0, count: 1 } }] })).toEqual({ joined: 0, count: 1 });
  });
  it('is null for any other error', () => {
    expect(groupChanged(null)).toBeNull();
    expect(groupChanged({ graphQLErrors: [] })).toBeNull();
    expect(groupChanged({ graphQLErrors: [{ extensions: { code: 'FORBIDDEN', field: 'leadIDs' } }] })).toBeNull();
    expect(groupChanged({ graphQLErrors: [{ extensions: { code: 'CONFLICT', field: 'input.name' } }] })).toBeNull();
  });
});
