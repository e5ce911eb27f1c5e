import { describe, expect, it } from 'vitest';
import { defaultPrimary } from './duplicates';

describe('defaultPrimary', () => {
  const l = (id: string, status: string, createdAt: string, owner: boolean) => ({ id, status, createdAt, owner: owner ? { id: 'u' } : null });
  it('prefers an active lead, then an owned one, then the oldest', () => {
    expect(defaultPrimary([])).toBeNull();
    expect(defaultPrimary([l('a', 'ARCHIVED', '2026-01-01T00:00:00Z', true), l('b', 'ACTIVE', '2026-06-01T00:00:00Z', false)])).toBe('b');
    expect(defaultPrimary([l('a', 'ACTIVE', '2026-01-01T00:00:00Z', false), l('b', 'ACTIVE', '2026-06-01T00:00:00Z', true)])).toBe('b');
    expect(defaultPrimary([l('a', 'ACTIVE', '2026-06-01T00:00:00Z', true), l('b', 'ACTIVE', '2026-01-01T00:00:00Z', true)])).toBe('b');
  });
});
