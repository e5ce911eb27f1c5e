// "All N matching" on the leads list (scripts/e2e.sh runs this against
// `scrm serve` with the demo workspace): with a name search and pages of
// 20, selecting the whole page offers every matching lead; the action runs
// as a job (bulkUpdateLeads) whose progress the dialog shows to the end.
// The admin tags every matching lead (the API then counts the tag on exactly
// the leads that matched); rep1 does the same on the leads they can read,
// and the leads waiting in a pool (read-and-claim only for a rep) fail with
// their reason, offered as a CSV. At 1440 px (the phone layout lists cards
// without selection, docs/web.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, gql, launch, pick, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;
let rep: string;

const REP = 'rep1@demo.scrm.dev';
const STAMP = String(Date.now() % 100000);
const SEARCH = '王';

const count = async (tok: string, w: Record<string, unknown>) =>
  (await gql<{ leads: { totalCount: number } }>(tok, `query($w: LeadWhereInput){ leads(first: 1, where: $w) { totalCount } }`, { w })).leads.totalCount;
const matching = (q: string) => (q ? { nameContainsFold: q, statusIn: ['ACTIVE'] } : { statusIn: ['ACTIVE'] });

async function createTag(name: string): Promise<string> {
  const d = await gql<{ createTag: { id: string } }>(admin, `mutation($n: String!){ createTag(input: {name: $n}) { id } }`, { n: name });
  return d.createTag.id;
}

/** Selects the page, then all matching leads, opens the dialog and runs "add tag" with tag. */
async function tagAllMatching(p: Page, q: string, tag: string): Promise<void> {
  await p.goto(q ? `/leads?q=${encodeURIComponent(q)}&size=20` : '/leads?size=20');
  await p.locator('[data-testid=leads-table] tbody tr.ant-table-row').nth(19).waitFor();
  await p.locator('[data-testid=leads-table] thead .ant-checkbox-input').first().check();
  await p.getByTestId('select-all-matching').click();
  await p.getByTestId('bulk-all-bar').waitFor();
  await p.getByTestId('bulk-all-open').click();
  await pick(p, p.getByTestId('bulk-all-tags'), tag, true);
  await p.getByTestId('bulk-all-run').click();
}

beforeAll(async () => {
  b = await launch();
  page = b.page;
  admin = await token(ADMIN.email, ADMIN.password);
  rep = await token(REP, userPassword);
});

afterAll(async () => {
  await b?.close();
});

describe('all matching leads', () => {
  it('tags every lead matching the filter in a job, as the admin', async () => {
    const total = await count(admin, matching(SEARCH));
    expect(total).toBeGreaterThan(20); // more than one page
    const tagName = `E2E 全部 ${STAMP}`;
    const tagID = await createTag(tagName);
    await signIn(page, ADMIN.email, ADMIN.password);
    await tagAllMatching(page, SEARCH, tagName);
    const progress = page.getByTestId('bulk-all-progress');
    await expect.poll(() => progress.getAttribute('data-status'), { timeout: 60_000 }).toBe('SUCCEEDED');
    await page.getByTestId('bulk-all-done').waitFor();
    expect(await page.getByTestId('bulk-all-download').count()).toBe(0);
    expect(await count(admin, { ...matching(SEARCH), hasTagsWith: [{ id: tagID }] })).toBe(total);
    expect(await count(admin, { hasTagsWith: [{ id: tagID }] })).toBe(total); // and no other lead
    await shot(page, 'bulk-all-admin', { fullPage: false });
    await page.getByTestId('bulk-all-close').click();
    expect(b.errors).toEqual([]);
  });

  it('skips, with a reason, the leads a rep may read but not change', async () => {
    // The name search when it gives rep1 more than a page (the full demo), else all rep1 reads.
    const q = (await count(rep, matching(SEARCH))) > 20 ? SEARCH : '';
    const readable = await count(rep, matching(q));
    const pooled = await count(rep, { ...matching(q), hasOwner: false });
    expect(readable).toBeGreaterThan(20);
    expect(pooled).toBeGreaterThan(0);
    const tagName = `E2E 销售全部 ${STAMP}`;
    const tagID = await createTag(tagName);
    const other = await launch();
    try {
      const p = other.page;
      await signIn(p, REP, userPassword);
      await tagAllMatching(p, q, tagName);
      const progress = p.getByTestId('bulk-all-progress');
      await expect.poll(() => progress.getAttribute('data-status'), { timeout: 60_000 }).toBe('SUCCEEDED');
      await p.getByTestId('bulk-all-done').waitFor();
      await p.getByTestId('bulk-all-download').waitFor();
      const tagged = await count(admin, { hasTagsWith: [{ id: tagID }] });
      expect(tagged).toBe(readable - pooled);
      expect(await p.getByTestId('bulk-all-done').innerText()).toContain(String(pooled));
      await shot(p, 'bulk-all-rep-failures', { fullPage: false });
      expect(other.errors).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
