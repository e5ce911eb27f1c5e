// 重复线索 (scripts/e2e.sh runs this against `scrm serve` with the demo
// workspace). The setup ingests, as the admin, three leads with one name and
// company (distinct phones, this run's stamp): the newest group of the
// name + company kind. rep1, on a phone (390 px), sees the group (the leads
// wait in a pool, which rep1 reads) and is refused the merge in Chinese (a
// pool lead is read-and-claim only). The admin, at 1440 px, compares them
// side by side, keeps the one picked and merges the other two: the API then
// answers them MERGED and the group is gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, gql, launch, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;
let ids: string[];

const REP = 'rep1@demo.scrm.dev';
const STAMP = String(Date.now() % 100000);
const NAME = `E2E 重复 ${STAMP}`;
const COMPANY = `E2E 公司 ${STAMP}`;
const KEY = `${NAME} / ${COMPANY}`;

const group = (p: Page) => p.locator(`[data-testid=dup-group][data-key="${KEY}"]`);
const statusOf = async (id: string) =>
  (await gql<{ node: { status: string } | null }>(admin, `query($id: ID!){ node(id: $id) { ... on Lead { status } } }`, { id })).node?.status;

beforeAll(async () => {
  b = await launch();
  page = b.page;
  admin = await token(ADMIN.email, ADMIN.password);
  const leads = [1, 2, 3].map((i) => ({ name: NAME, company: COMPANY, phone: `+86139${STAMP.padStart(5, '0')}${String(i).padStart(3, '0')}`, source: 'e2e' }));
  const d = await gql<{ ingestLeads: { results: { status: string; lead: { id: string } | null }[] } }>(admin,
    `mutation($in: IngestLeadsInput!){ ingestLeads(input: $in) { results { status lead { id } } } }`, { in: { leads } });
  expect(d.ingestLeads.results.map((r) => r.status)).toEqual(['CREATED', 'CREATED', 'CREATED']);
  ids = d.ingestLeads.results.map((r) => r.lead!.id);
});

afterAll(async () => {
  await b?.close();
});

describe('duplicate review', () => {
  it('shows a rep the group on a phone and refuses a merge they may not make (390 px)', async () => {
    const other = await launch();
    try {
      const p = other.page;
      await p.setViewportSize({ width: 390, height: 844 });
      await signIn(p, REP, userPassword);
      await p.goto('/duplicates');
      await group(p).waitFor({ timeout: 15_000 });
      expect(await group(p).locator('[data-testid=dup-primary]').count()).toBe(3);
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await shot(p, 'duplicates-rep-390');
      await group(p).getByTestId('dup-merge').click();
      await p.locator('.ant-modal-confirm').getByRole('button', { name: /确\s*定|OK/ }).click();
      await p.locator('.ant-message-notice').filter({ hasText: /无权|权限/ }).first().waitFor();
      for (const id of ids) expect(await statusOf(id)).toBe('ACTIVE');
      expect(other.errors.filter((e) => !e.includes('403') && !e.includes('FORBIDDEN'))).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('merges a group into the lead kept, side by side (1440 px)', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto('/duplicates');
    await group(page).waitFor({ timeout: 15_000 });
    // Keep the second lead created; the other two merge into it.
    await group(page).locator(`[data-testid=dup-primary][data-lead="${ids[1]}"]`).click();
    await shot(page, 'duplicates-admin', { fullPage: false });
    await group(page).getByTestId('dup-merge').click();
    await page.locator('.ant-modal-confirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await page.locator('.ant-message-notice').filter({ hasText: '已合并 2 条线索' }).first().waitFor();
    expect(await statusOf(ids[1])).toBe('ACTIVE');
    expect(await statusOf(ids[0])).toBe('MERGED');
    expect(await statusOf(ids[2])).toBe('MERGED');
    await expect.poll(() => group(page).count(), { timeout: 10_000 }).toBe(0);
    expect(b.errors).toEqual([]);
  });
});
