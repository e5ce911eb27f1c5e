import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { firstPageFetch, LEADS_REQUEST_KEY } from './prefetch';

const w = window as unknown as { __scrmLeads?: { body: string; token: string; response: Promise<Response> } };

describe('firstPageFetch', () => {
  const net = vi.fn(async () => new Response('{"data":{"from":"network"}}'));
  beforeEach(() => {
    localStorage.clear();
    localStorage.setItem('scrm.token', 'tok-1');
    vi.stubGlobal('fetch', net);
    net.mockClear();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    w.__scrmLeads = undefined;
  });
  const early = (body: string, token = 'tok-1') => {
    w.__scrmLeads = { body, token, response: Promise.resolve(new Response('{"data":{"from":"early"}}')) };
  };
  const read = async (r: Promise<Response>) => ((await (await r).json()) as { data: { from: string } }).data.from;

  it('sends the request and keeps its body for the next load', async () => {
    expect(await read(firstPageFetch('/graphql', { method: 'POST', body: 'B1' }))).toBe('network');
    expect(net).toHaveBeenCalledTimes(1);
    expect(localStorage.getItem(LEADS_REQUEST_KEY)).toBe('B1');
  });

  it("takes index.html's early answer when it sent the same body with the same token, once", async () => {
    early('B1');
    expect(await read(firstPageFetch('/graphql', { method: 'POST', body: 'B1' }))).toBe('early');
    expect(net).not.toHaveBeenCalled();
    expect(await read(firstPageFetch('/graphql', { method: 'POST', body: 'B1' }))).toBe('network');
  });

  it('sends anew when the body (another app version) or the token (another user) differs', async () => {
    early('B0');
    expect(await read(firstPageFetch('/graphql', { method: 'POST', body: 'B1' }))).toBe('network');
    early('B1', 'tok-0');
    expect(await read(firstPageFetch('/graphql', { method: 'POST', body: 'B1' }))).toBe('network');
    expect(net).toHaveBeenCalledTimes(2);
  });

  it('sends anew when the early request failed', async () => {
    w.__scrmLeads = { body: 'B1', token: 'tok-1', response: Promise.reject(new TypeError('network')) };
    expect(await read(firstPageFetch('/graphql', { method: 'POST', body: 'B1' }))).toBe('network');
  });
});
