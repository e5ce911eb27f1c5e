// 加入旅程 on the leads list (#23; scripts/e2e.sh runs this against `scrm
// serve` with the demo workspace). The admin makes a manual journey (a long
// wait, no re-entry) and activates it. At 1440 px three selected rows are
// enrolled at once (the dialog says 3 enrolled, no job); then the whole page
// of a name search, and every lead it matches (at most 200): enrolled at
// once, the three from before listed as already in the journey, and the
// API's enrolment count is the search's. At 390 px every active lead (more
// than 200) is enrolled from the cards as a job whose progress the dialog
// shows to the end; the journey then holds every active lead once. A rep
// (no journey write) is not offered the action. The journey is archived at
// the end, so no running journey is left for the later files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, gql, launch, pick, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;
let journeyID: string;

const STAMP = String(Date.now() % 100000);
const NAME = `e2e 批量加入 ${STAMP}`;
const INLINE_MAX = 200;
let SEARCH = '';
const SEARCH_CANDIDATES = ['王', '王伟', '李娜', '张伟', '刘洋', '陈静', '杨敏'];

const count = async (w: Record<string, unknown>) =>
  (await gql<{ leads: { totalCount: number } }>(admin, `query($w: LeadWhereInput){ leads(first: 1, where: $w) { totalCount } }`, { w })).leads.totalCount;
const matching = (q: string) => (q ? { nameContainsFold: q, statusIn: ['ACTIVE'] } : { statusIn: ['ACTIVE'] });
const enrolled = async () =>
  (await gql<{ node: { stats: { enrolled: number } } }>(admin, `query($id: ID!){ node(id: $id) { ... on Journey { stats { enrolled } } } }`, { id: journeyID })).node.stats.enrolled;

beforeAll(async () => {
  b = await launch();
  page = b.page;
  admin = await token(ADMIN.email, ADMIN.password);
  const j = await gql<{ createJourney: { id: string } }>(admin, `mutation($n: String!){ createJourney(input: {name: $n, trigger: {manual: {}}, steps: [{wait: {days: 30}}]}) { id } }`, { n: NAME });
  journeyID = j.createJourney.id;
  await gql(admin, `mutation($id: ID!){ setJourneyStatus(id: $id, status: ACTIVE) { id } }`, { id: journeyID });
  for (const q of SEARCH_CANDIDATES) {
    const n = await count(matching(q));
    if (n > 20 && n <= INLINE_MAX) {
      SEARCH = q;
      break;
    }
  }
  if (!SEARCH) throw new Error(`no name search among ${SEARCH_CANDIDATES.join(' ')} matches 21-${INLINE_MAX} active leads`);
});

afterAll(async () => {
  if (journeyID) await gql(admin, `mutation($id: ID!){ setJourneyStatus(id: $id, status: ARCHIVED) { id } }`, { id: journeyID }).catch(() => undefined);
  await b?.close();
});

async function runEnroll(p: Page): Promise<void> {
  const modal = p.locator('.ant-modal').filter({ has: p.getByTestId('enroll-journey') });
  await modal.waitFor();
  await pick(p, modal.getByTestId('enroll-journey'), NAME, true);
  await p.getByTestId('enroll-ok').click();
}

describe('enrol leads from the leads list', () => {
  it('enrols selected rows, then every lead of a search at once, the ones already in it listed with why (1440 px)', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(`/leads?q=${encodeURIComponent(SEARCH)}&size=20`);
    const rows = page.locator('[data-testid=leads-table] tbody tr.ant-table-row');
    await rows.nth(19).waitFor();
    for (const i of [0, 1, 2]) await rows.nth(i).locator('.ant-checkbox-input').check();
    await page.getByTestId('bulk-enroll').click();
    // Nothing picked: asked for, nothing sent.
    await page.getByTestId('enroll-ok').click();
    await page.locator('.ant-modal').filter({ has: page.getByTestId('enroll-journey') }).getByText('请选择运行中或已暂停的旅程').waitFor();
    await runEnroll(page);
    const result = page.getByTestId('enroll-result');
    await result.waitFor();
    expect(await result.getAttribute('data-changed')).toBe('3');
    expect(await result.getAttribute('data-failed')).toBe('0');
    expect(await enrolled()).toBe(3);
    await shot(page, 'enroll-selected-1440');
    await page.getByTestId('enroll-ok').click();
    await page.getByTestId('enroll-journey').waitFor({ state: 'detached' });

    // Every lead of the search: the three are already in.
    const total = await count(matching(SEARCH));
    await page.locator('[data-testid=leads-table] thead .ant-checkbox-input').first().check();
    await page.getByTestId('select-all-matching').click();
    await page.getByTestId('bulk-all-bar').waitFor();
    await page.getByTestId('bulk-all-bar').getByTestId('bulk-enroll').click();
    expect(await page.locator('.ant-modal').filter({ has: page.getByTestId('enroll-journey') }).locator('.ant-modal-title').innerText()).toBe(`将 ${total} 条线索加入旅程`);
    await runEnroll(page);
    await result.waitFor();
    expect(await result.getAttribute('data-changed')).toBe(String(total - 3));
    expect(await result.getAttribute('data-failed')).toBe('3');
    // Said in Chinese from the refusal's reason (ENROLLED), without the API's English line.
    expect(await page.getByTestId('failure-reason').allInnerTexts()).toEqual(Array(3).fill('已在该旅程中'));
    expect(await page.getByTestId('failure-message').count()).toBe(0);
    expect(await page.getByTestId('enroll-progress').count()).toBe(0);
    await shot(page, 'enroll-all-matching-1440');
    expect(await enrolled()).toBe(total);
    await page.getByTestId('enroll-ok').click();
    expect(b.errors).toEqual([]);
  });

  it('enrols every active lead from the cards as a job, its progress shown to the end (390 px)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const all = await count(matching(''));
      expect(all).toBeGreaterThan(INLINE_MAX);
      const before = await enrolled();
      await page.goto('/leads?size=20');
      const cards = page.getByTestId('lead-card');
      await cards.nth(19).waitFor();
      await page.getByTestId('cards-select-toggle').click();
      await page.getByTestId('cards-select-page').click();
      await page.getByTestId('select-all-matching').click();
      await page.getByTestId('bulk-all-bar').getByTestId('bulk-enroll').click();
      await runEnroll(page);
      const progress = page.getByTestId('enroll-progress');
      await expect.poll(() => progress.getAttribute('data-status'), { timeout: 60_000 }).toBe('SUCCEEDED');
      expect(Number(await progress.getAttribute('data-failed'))).toBe(before);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await shot(page, 'enroll-job-390', { fullPage: false });
      await page.getByTestId('enroll-ok').click();
      expect(await enrolled()).toBe(all);
      expect(b.errors).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('is not offered to a rep (no journey write)', async () => {
    await signIn(page, 'rep1@demo.scrm.dev', userPassword);
    await page.goto('/leads?size=20');
    await page.locator('[data-testid=leads-table] tbody tr.ant-table-row').first().locator('.ant-checkbox-input').check();
    await page.getByTestId('bulk-actions').waitFor();
    expect(await page.getByTestId('bulk-enroll').count()).toBe(0);
    expect(b.errors).toEqual([]);
  });
});
