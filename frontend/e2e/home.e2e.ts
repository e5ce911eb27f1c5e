// The home dashboard (scripts/e2e.sh runs this against `scrm serve` with the
// demo workspace): the page after sign-in, at a phone's width and a desktop's,
// as an admin (every figure, the month's funnel and leaderboard) and as a rep
// (their capacity and today's claims, no reports). Each figure is checked
// against the API's own answer for the same user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, gql, launch, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;

beforeAll(async () => {
  b = await launch();
  page = b.page;
});

afterAll(async () => {
  await b?.close();
});

const REP = 'rep1@demo.scrm.dev';
const card = (key: string) => page.getByTestId(`home-${key}`);
const num = (s: string) => Number(s.replace(/[^\d]/g, ''));

interface Workload {
  myWorkload: { openLeads: number; capacity: number; claimsToday: number; dailyClaimLimit: number; overdueFollowUps: number };
}
const WORKLOAD = `{ myWorkload { openLeads capacity claimsToday dailyClaimLimit overdueFollowUps } }`;

describe('home dashboard', () => {
  it('opens after sign-in for an admin with every figure, the funnel and the leaderboard (1440 px and 390 px)', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.waitForURL('**/home');
    const t = await token(ADMIN.email, ADMIN.password);
    // A lead created now is one of today's, wherever "today" is.
    await gql(t, `mutation($input: IngestLeadsInput!){ ingestLeads(input: $input){ created } }`, { input: { leads: [{ name: '今日新客', phone: '13912345678', source: 'e2e' }] } });
    await page.reload();
    // Today as the browser (Asia/Shanghai) counts it.
    const from = await page.evaluate(() => {
      const d = new Date();
      d.setHours(0, 0, 0, 0);
      return d.toISOString();
    });
    const api = await gql<{ leads: { totalCount: number } }>(t, `query($w: LeadWhereInput){ leads(first: 1, where: $w) { totalCount } }`, { w: { createdAtGTE: from } });
    expect(api.leads.totalCount).toBeGreaterThan(0);
    await expect.poll(async () => num(await card('new-today').locator('.ant-statistic-content').innerText()), { timeout: 15_000 }).toBe(api.leads.totalCount);

    const w = (await gql<Workload>(t, WORKLOAD)).myWorkload;
    await expect.poll(() => card('open').locator('.ant-statistic-content').innerText(), { timeout: 15_000 }).toContain(`/ ${w.capacity.toLocaleString('zh-CN')}`);
    await expect.poll(async () => num(await card('overdue').locator('.ant-statistic-content').innerText()), { timeout: 15_000 }).toBe(w.overdueFollowUps);
    await page.getByTestId('home-funnel').locator('canvas').waitFor();
    await page.getByTestId('home-leaderboard').locator('canvas').waitFor();
    await expect.poll(() => page.getByTestId('home-leaderboard-table').locator('tbody tr.ant-table-row').count()).toBeGreaterThan(0);
    await expect.poll(() => card('conversion').locator('.ant-statistic-content').innerText(), { timeout: 15_000 }).toMatch(/%|—/);
    await shot(page, 'home-admin-1440');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByTestId('home-funnel').locator('canvas').waitFor();
    // Nothing wider than the phone's screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'home-admin-390');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });

  it("shows a rep their capacity and today's claims as the API counts them, without reports", async () => {
    const t = await token(REP, userPassword);
    // Claim two leads of the public pool as the rep, so today's claims are not 0.
    const pool = await gql<{ leads: { edges: { node: { id: string } }[] } }>(t, `{ leads(first: 20, where: { hasOwner: false, status: ACTIVE }) { edges { node { id } } } }`);
    await gql(t, `mutation($ids: [ID!]!){ claimLeads(ids: $ids) { claimed { id } } }`, { ids: pool.leads.edges.map((e) => e.node.id).slice(0, 2) });
    const w = (await gql<Workload>(t, WORKLOAD)).myWorkload;
    expect(w.claimsToday).toBeGreaterThan(0);

    await signIn(page, REP, userPassword);
    await page.waitForURL('**/home');
    await expect.poll(() => card('open').locator('.ant-statistic-content').innerText(), { timeout: 15_000 }).toBe(`${w.openLeads.toLocaleString('zh-CN')} / ${w.capacity.toLocaleString('zh-CN')}`);
    await expect.poll(() => card('claims').locator('.ant-statistic-content').innerText(), { timeout: 15_000 }).toBe(`${w.claimsToday} / ${w.dailyClaimLimit}`);
    expect(await card('claims').innerText()).toContain(`余 ${Math.max(0, w.dailyClaimLimit - w.claimsToday)}`);
    await page.getByTestId('home-my-month-chart').locator('canvas').waitFor();
    expect(await page.getByTestId('home-leaderboard').count()).toBe(0);
    expect(await page.getByTestId('home-funnel').count()).toBe(0);
    await shot(page, 'home-rep-1440');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await card('claims').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'home-rep-390');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });
});
