// Operator pages in headless Chromium against `scrm serve` (scripts/e2e.sh):
// GraphiQL renders from the binary's own assets, with no request to any
// other origin, and runs a query as the web app's signed-in user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, BASE, launch, shot, token, type Browser } from './lib';

let b: Browser;

beforeAll(async () => {
  b = await launch();
});

afterAll(async () => {
  await b?.close();
});

describe('operator pages', () => {
  it('GraphiQL loads from this server only and runs a query with the session token', async () => {
    const { page } = b;
    const origin = new URL(BASE).origin;
    const elsewhere: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol.startsWith('http') && u.origin !== origin) elsewhere.push(r.url());
    });
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
});
