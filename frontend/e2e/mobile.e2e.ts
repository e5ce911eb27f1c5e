// The phone layout and the keyboard shortcuts (scripts/e2e.sh runs this
// against `scrm serve` with the demo workspace): below 768 px the menu is a
// drawer and leads are cards; at 1440 px the sider and the table are back;
// "/" searches, "g l" opens the leads, "?" shows the help.
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

describe('phone layout and shortcuts', () => {
  it('shows a drawer menu and lead cards at 390 px, the sider and table at 1440 px', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/home');
    await page.getByTestId('home').waitFor();
    expect(await page.getByTestId('sider').count()).toBe(0);
    await page.getByTestId('nav-open').click();
    const drawer = page.locator('.scrm-drawer');
    await drawer.getByText('公海', { exact: true }).waitFor();
    await shot(page, 'mobile-drawer-390');
    await drawer.getByText('线索', { exact: true }).click();
    await page.waitForURL('**/leads');
    await page.getByTestId('lead-card').first().waitFor();
    expect(await page.getByTestId('leads-table').count()).toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'mobile-leads-390');
    // A card opens its lead.
    await page.getByTestId('lead-card').first().getByTestId('lead-link').click();
    await page.waitForURL(/\/leads\/[^/?]+$/);
    await page.getByTestId('lead-detail').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'mobile-lead-390');

    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto('/leads');
    await page.locator('[data-testid=leads-table] tbody tr.ant-table-row').first().waitFor();
    expect(await page.getByTestId('sider').count()).toBe(1);
    expect(await page.getByTestId('nav-open').count()).toBe(0);
  });

  it('answers "/", "g l", "g h" and "?" but not keys typed into a field', async () => {
    await page.goto('/home');
    await page.getByTestId('home').waitFor();
    await page.keyboard.press('g');
    await page.keyboard.press('l');
    await page.waitForURL('**/leads');
    await page.locator('[data-testid=leads-table] tbody tr.ant-table-row').first().waitFor();
    await page.keyboard.press('g');
    await page.keyboard.press('h');
    await page.waitForURL('**/home');
    // "/" from another page opens the leads with the search box focused.
    await page.keyboard.press('/');
    await page.waitForURL('**/leads');
    await expect.poll(() => page.evaluate(() => document.activeElement?.closest('[data-testid=quick-search]') !== null)).toBe(true);
    // Typed into the box, "g l" and "?" are text.
    await page.keyboard.type('g?');
    expect(await page.getByTestId('quick-search').locator('input').inputValue()).toBe('g?');
    expect(await page.getByTestId('shortcuts-help').count()).toBe(0);
    await page.getByTestId('quick-search').locator('input').fill('');
    await page.locator('.scrm-page-title h2').click();
    await page.keyboard.press('?');
    const help = page.locator('.ant-modal').filter({ hasText: '键盘快捷键' });
    await help.waitFor();
    expect(await help.innerText()).toContain('搜索线索');
    await shot(page, 'shortcuts-help');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });
    expect(b.errors).toEqual([]);
  });
});
