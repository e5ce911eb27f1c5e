// The lead page's 时间线 (scripts/e2e.sh runs this against `scrm serve` with
// the demo workspace). The demo's owned leads each have a claim, a
// follow-up and the won ones a deal; the setup tracks 25 events on one of
// rep1's won leads so its timeline runs past one page (20). rep1 then opens the lead:
// the items shown are the API's answer for rep1 (ids and kinds, in order),
// 加载更多 appends the next page, a kind chip narrows the list to that kind
// (as the API's kinds filter does) and 全部 brings everything back. At
// 1440 px and 390 px (no sideways scroll). The events are this spec's own
// (a name with the run's stamp) on a lead no later spec reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, gql, launch, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;
let rep: string;
let leadID: string;

const REP = 'rep1@demo.scrm.dev';
const EVENT = `e2e_timeline_${Date.now() % 100000}`;
const EVENTS = 25;

interface Item { id: string; kind: string }
interface TimelineAnswer {
  node: { timeline: { edges: { node: Item }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null;
}
const TIMELINE = `query($id: ID!, $first: Int, $after: Cursor, $kinds: [TimelineKind!]) { node(id: $id) { ... on Lead {
  timeline(first: $first, after: $after, kinds: $kinds) { edges { node { id kind } } pageInfo { hasNextPage endCursor } } } } }`;

/** The first n items of the lead's timeline as rep1 may read it (kinds: null for all). */
async function apiItems(n: number, kinds: string[] | null = null): Promise<Item[]> {
  const d = await gql<TimelineAnswer>(rep, TIMELINE, { id: leadID, first: n, kinds });
  return d.node!.timeline.edges.map((e) => e.node);
}
/** The items the page shows, in order. */
const shown = () => page.locator('[data-testid=timeline-item]').evaluateAll((els) =>
  els.map((e) => ({ id: (e as HTMLElement).dataset.id ?? '', kind: (e as HTMLElement).dataset.kind ?? '' })));
const settle = () => expect.poll(() => page.locator('[data-testid=timeline-more] .ant-btn-loading-icon').count()).toBe(0);

beforeAll(async () => {
  b = await launch();
  page = b.page;
  const admin = await token(ADMIN.email, ADMIN.password);
  rep = await token(REP, userPassword);
  const repID = (await gql<{ me: { id: string } }>(rep, `{ me { id } }`)).me.id;
  // One of rep1's won leads (a claim, a follow-up, a deal, its stage), the
  // last created: the task-centre spec works on the first ones.
  const leads = await gql<{ leads: { edges: { node: { id: string; deals: { id: string }[] | null } }[] } }>(admin,
    `query($w: LeadWhereInput){ leads(first: 200, where: $w) { edges { node { id deals { id } } } } }`,
    { w: { ownerID: repID, status: 'ACTIVE' } });
  const won = leads.leads.edges.map((e) => e.node).filter((l) => (l.deals ?? []).length > 0);
  leadID = (won.at(-1) ?? leads.leads.edges.at(-1)!.node).id;
  // A day apart over the last 25 days, among the demo's claims and follow-ups.
  const DAY = 24 * 3600_000;
  const start = Date.now() - EVENTS * DAY;
  const events = Array.from({ length: EVENTS }, (_, i) => ({
    leadID, name: EVENT, occurredAt: new Date(start + i * DAY + 3600_000).toISOString(), properties: { step: i + 1 },
  }));
  const r = await gql<{ trackEvents: { accepted: number } }>(admin, `mutation($e: [EventInput!]!){ trackEvents(events: $e) { accepted } }`, { e: events });
  expect(r.trackEvents.accepted).toBe(EVENTS);
  await signIn(page, REP, userPassword);
}, 60_000);

afterAll(async () => {
  await b?.close();
});

describe('lead timeline', () => {
  it('shows the API answer, newest first, and loads more', async () => {
    await page.goto(`/leads/${leadID}`);
    await page.getByTestId('timeline-item').first().waitFor();
    const first = await apiItems(20);
    expect(first).toHaveLength(20);
    await expect.poll(shown).toEqual(first);
    // rep1 has no broadcast read: no message is listed.
    expect(first.some((x) => x.kind === 'MESSAGE')).toBe(false);
    await page.getByTestId('lead-timeline').scrollIntoViewIfNeeded();
    await shot(page, 'timeline-1440');

    await page.getByTestId('timeline-more').click();
    const all = await apiItems(100);
    expect(all.length).toBeGreaterThan(20);
    const two = all.slice(0, 40);
    await expect.poll(shown).toEqual(two);
    await settle();
    if (all.length > 40) {
      await page.getByTestId('timeline-more').click();
      await expect.poll(async () => (await shown()).length).toBe(Math.min(all.length, 60));
    } else {
      await page.getByTestId('timeline-end').waitFor();
    }
    expect(b.errors).toEqual([]);
  });

  it('filters by kind', async () => {
    await page.getByTestId('timeline-filter-FOLLOW_UP').click();
    const followUps = await apiItems(20, ['FOLLOW_UP']);
    expect(followUps.length).toBeGreaterThan(0);
    await expect.poll(shown).toEqual(followUps);
    // A second chip: both kinds, as the API lists them together.
    await page.getByTestId('timeline-filter-OWNER_CHANGE').click();
    const two = await apiItems(20, ['FOLLOW_UP', 'OWNER_CHANGE']);
    expect(new Set(two.map((x) => x.kind))).toEqual(new Set(['FOLLOW_UP', 'OWNER_CHANGE']));
    await expect.poll(shown).toEqual(two);
    await page.getByTestId('timeline-filter-OWNER_CHANGE').click();
    await page.getByTestId('timeline-filter-FOLLOW_UP').click();
    // No chip chosen is everything again; then only events, past one page.
    await expect.poll(shown).toEqual(await apiItems(20));
    await page.getByTestId('timeline-filter-EVENT').click();
    await expect.poll(shown).toEqual(await apiItems(20, ['EVENT']));
    await page.getByTestId('timeline-more').click();
    await expect.poll(shown).toEqual(await apiItems(40, ['EVENT']));
    expect((await shown()).length).toBeGreaterThanOrEqual(EVENTS);
    await expect.poll(() => page.getByTestId('timeline-items').innerText()).toContain(EVENT);
    await page.getByTestId('timeline-filter-ALL').click();
    await expect.poll(shown).toEqual(await apiItems(20));
    expect(b.errors).toEqual([]);
  });

  it('fits a phone (390 px)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByTestId('timeline-item').first().waitFor();
    await expect.poll(shown).toEqual(await apiItems(20));
    await page.getByTestId('timeline-more').click();
    await expect.poll(async () => (await shown()).length).toBeGreaterThan(20);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.getByTestId('lead-timeline').scrollIntoViewIfNeeded();
    await shot(page, 'timeline-390');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });
});
