import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { print } from 'graphql';
import { FIRST_PAGE_WAIT_MS, firstPageFetch, leadsDocument, LEADS_REQUEST_KEY, renderWhenFirstPage } from './prefetch';
import { LeadsDoc } from './ops';
import { customColumns, liveColumns } from '../components/leads/columns';

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

describe('the leads list’s document', () => {
  it('selects the custom fields among the columns as typed fields, never attributes', () => {
    const text = print(leadsDocument(['name', 'member_level', 'phone', 'budget']));
    expect(text).toContain('...LeadRow\n        ...LeadTypedFields');
    expect(text).toMatch(/fragment LeadTypedFields on Lead \{\s+member_level\s+budget\s+\}/);
    expect(text).not.toMatch(/\battributes\b|orderByAttribute/);
  });

  it('is the generated document when no custom field is shown', () => {
    expect(leadsDocument(['name', 'phone', 'createdAt'])).toBe(LeadsDoc);
  });

  it('tells custom columns from built-in ones, and leaves out archived fields', () => {
    expect(customColumns(['name', 'budget', 'lastFollowUpAt', 'city'])).toEqual(['budget', 'city']);
    expect(liveColumns(['name', 'budget', 'gone', 'city', 'deleted'], [{ key: 'budget' }, { key: 'gone', archived: true }, { key: 'city' }])).toEqual(['name', 'budget', 'city']);
  });
});

describe('renderWhenFirstPage', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renders at once when nothing was asked', () => {
    const render = vi.fn();
    renderWhenFirstPage(null, render);
    expect(render).toHaveBeenCalledTimes(1);
  });

  it('renders once the first page has arrived, and only once', async () => {
    const render = vi.fn();
    let arrive: () => void = () => {};
    renderWhenFirstPage(new Promise<void>((r) => { arrive = r; }), render);
    await vi.advanceTimersByTimeAsync(FIRST_PAGE_WAIT_MS / 2);
    expect(render).not.toHaveBeenCalled();
    arrive();
    await vi.advanceTimersByTimeAsync(0);
    expect(render).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(FIRST_PAGE_WAIT_MS * 2);
    expect(render).toHaveBeenCalledTimes(1);
  });

  it('renders without the first page when it is slower than the wait, and not again when it comes', async () => {
    const render = vi.fn();
    let arrive: () => void = () => {};
    renderWhenFirstPage(new Promise<void>((r) => { arrive = r; }), render);
    await vi.advanceTimersByTimeAsync(FIRST_PAGE_WAIT_MS - 1);
    expect(render).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(render).toHaveBeenCalledTimes(1);
    arrive();
    await vi.advanceTimersByTimeAsync(0);
    expect(render).toHaveBeenCalledTimes(1);
  });

  it('renders when the first page failed', async () => {
    const render = vi.fn();
    renderWhenFirstPage(Promise.reject(new Error('offline')), render);
    await vi.advanceTimersByTimeAsync(0);
    expect(render).toHaveBeenCalledTimes(1);
  });
});
