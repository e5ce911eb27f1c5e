import { describe, expect, it } from 'vitest';
import { requestHeaders } from './fetcher';

describe('GraphiQL request headers', () => {
  it('sends the session token as a bearer token', () => {
    expect(requestHeaders('tok', undefined)).toMatchObject({ Authorization: 'Bearer tok', 'Content-Type': 'application/json' });
  });
  it('sends no Authorization without a session', () => {
    expect(requestHeaders(null, {})).not.toHaveProperty('Authorization');
  });
  it('lets headers typed in GraphiQL win, whatever their case', () => {
    const h = requestHeaders('tok', { authorization: 'Bearer other', 'X-API-Key': 'k', Skip: null });
    expect(h.authorization).toBe('Bearer other');
    expect(h).not.toHaveProperty('Authorization');
    expect(h['X-API-Key']).toBe('k');
    expect(h).not.toHaveProperty('Skip');
  });
});
