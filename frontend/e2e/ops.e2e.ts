// Operator pages in headless Chromium against `scrm serve` (scripts/e2e.sh):
// GraphiQL renders from the binary's own assets, with no request to any
// other origin, and runs a query as the web app's signed-in user; an admin
// opens the Asynq queues dashboard from the web app's user menu, and after
// signing out the dashboard refuses the browser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, BASE, launch, shot, signIn, token, type Browser } from './lib';

let b: Browser;

beforeAll(async () => {
  b = await launch();
});

afterAll(async () => {
  await b?.close();
});

// requestsElsewhere collects the URLs of every request page makes to another origin.
function requestsElsewhere(page: Page): string[] {
  const origin = new URL(BASE).origin;
  const elsewhere: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol.startsWith('http') && u.origin !== origin) elsewhere.push(r.url());
  });
  return elsewhere;
}

describe('operator pages', () => {
  it('GraphiQL loads from this server only and runs a query with the session token', async () => {
    const { page } = b;
    const elsewhere = requestsElsewhere(page);
    // Signed in as the web app signs in: the token in localStorage.
    const t = await token(ADMIN.email, ADMIN.password);
    await page.goto('/graphiql');
    await page.evaluate((tok) => localStorage.setItem('scrm.token', tok), t);
    await page.reload();
    await page.locator('.graphiql-container').waitFor();
    await page.locator('.graphiql-query-editor .monaco-editor').waitFor();
    await expect.poll(() => page.locator('.graphiql-query-editor').innerText()).toContain('WhoAmI');
    await page.locator('.graphiql-execute-button').click();
    const response = page.locator('.graphiql-response');
    await expect.poll(() => response.innerText(), { timeout: 15_000 }).toContain('"roles"');
    const text = await response.innerText();
    expect(text).toContain('admin');
    expect(text).not.toContain('UNAUTHENTICATED');
    await shot(page, 'graphiql');
    expect(elsewhere).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('an admin opens the queues dashboard from the user menu; signed out, it is refused', async () => {
    const { page } = b;
    const elsewhere = requestsElsewhere(page);
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByTestId('user-menu').hover();
    // asynqmon's own page reads /ops/queues/api/... with the cookie the menu item set.
    const api = page.waitForResponse((r) => r.url().includes('/ops/queues/api/') && r.status() === 200, { timeout: 20_000 });
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '队列监控' }).click();
    await page.waitForURL('**/ops/queues**');
    await api;
    await expect.poll(() => page.locator('body').innerText(), { timeout: 20_000 }).toMatch(/Queues/);
    await shot(page, 'ops-queues');
    expect(elsewhere).toEqual([]);

    await page.goto('/leads');
    await page.getByTestId('user-menu').hover();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '退出登录' }).click();
    await page.getByTestId('login-workspace').waitFor();
    await expect.poll(async () => (await page.request.get('/ops/queues')).status()).toBe(401);
  });
});
