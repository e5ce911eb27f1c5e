// The leads list keeps its state in the URL (scripts/e2e.sh runs this against
// `scrm serve` with the demo workspace): a sort, a name search and a later
// page survive opening a lead and coming Back, a reload, and a link opened in
// another browser of the same user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, launch, shot, signIn, type Browser } from './lib';

let b: Browser;
let page: Page;

beforeAll(async () => {
  b = await launch();
  page = b.page;
});

afterAll(async () => {
  await b?.close();
});

const rows = () => page.locator('[data-testid=leads-table] tbody tr.ant-table-row');
const pager = () => page.getByTestId('leads-pager').innerText();
const firstName = () => rows().first().getByTestId('lead-link').innerText();
const firstID = async () => (await rows().first().getByTestId('lead-link').getAttribute('href')) ?? '';

describe('leads list state in the URL', () => {
  it('restores sort, page and search on Back, reload and a shared link', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto('/leads');
    await rows().first().waitFor();

    // Oldest first, then the second page.
    // (Created, not score: the worker may still be scoring the demo leads.)
    // Each step waits for the rows it asked for: the first row changes.
    const newestFirst = await firstID();
    await page.locator('[data-testid=leads-table] thead th').filter({ hasText: '创建时间' }).first().click();
    await expect.poll(() => page.url()).toContain('sort=CREATED_AT.asc');
    await expect.poll(firstID, { timeout: 15_000 }).not.toBe(newestFirst);
    const firstOfPage1 = await firstID();
    await page.getByTestId('leads-next').click();
    await expect.poll(() => page.url()).toContain('page=2');
    await expect.poll(pager).toContain('第 2 /');
    await expect.poll(firstID, { timeout: 15_000 }).not.toBe(firstOfPage1);
    const id = await firstID();
    const name = await firstName();
    const listURL = page.url();

    // Open a lead and come Back.
    await rows().first().getByTestId('lead-link').click();
    await page.waitForURL(/\/leads\/[^/?]+$/);
    await page.goBack();
    await expect.poll(() => page.url()).toBe(listURL);
    await expect.poll(pager).toContain('第 2 /');
    await expect.poll(firstID, { timeout: 15_000 }).toBe(id);
    await expect.poll(() => page.locator('th.ant-table-column-sort').count()).toBeGreaterThan(0);

    // Reload.
    await page.reload();
    await rows().first().waitFor();
    await expect.poll(pager).toContain('第 2 /');
    await expect.poll(firstID, { timeout: 15_000 }).toBe(id);

    // A name search goes into the URL and starts again at the first page.
    await page.getByTestId('quick-search').locator('input').fill(name);
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe(name);
    await expect.poll(pager).toContain('第 1 /');
    const searchURL = page.url();

    // The link in another browser of the same user.
    const other = await launch();
    try {
      await signIn(other.page, ADMIN.email, ADMIN.password);
      await other.page.goto(searchURL);
      await other.page.locator('[data-testid=leads-table] tbody tr.ant-table-row').first().waitFor();
      expect(await other.page.getByTestId('quick-search').locator('input').inputValue()).toBe(name);
      await expect.poll(() => other.page.locator('[data-testid=leads-table] tbody tr.ant-table-row').first().getByTestId('lead-link').innerText()).toContain(name);
    } finally {
      await other.close();
    }
    await shot(page, 'leads-url-state');
    expect(b.errors).toEqual([]);
  });
});
