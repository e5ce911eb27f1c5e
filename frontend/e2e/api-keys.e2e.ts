// API keys in the settings (API 密钥), as the admin: the page lists the
// workspace's keys; a new key needs a name and roles (the form says so), is
// shown once with a copy button, and works against /graphql (X-API-Key) with
// its roles; it is listed as 有效 with its prefix and creator, revoked after a
// confirmation (已吊销), and refused from then on. A key bound to addresses
// (a bad entry refused under its field) works from the test's loopback peer
// and lists its expiry and addresses; one bound elsewhere is refused with a
// message naming the address; one whose expiry passes shows 已过期 and is
// refused. At 390 px the page fits a phone. Every step is checked against
// the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, BASE, gql, launch, pick, shot, signIn, token, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;
const NAME = `E2E 官网表单对接 ${Date.now() % 100000}`;

interface KeyRow { id: string; name: string; prefix: string; roles: string[]; revokedAt: string | null; createdBy: { name: string } | null }
const keysNow = async () => (await gql<{ apiKeys: KeyRow[] }>(admin, `{ apiKeys { id name prefix roles revokedAt createdBy { name } } }`)).apiKeys;
// A request with the key, as an integration would send it.
const withKey = async (key: string): Promise<{ status: number; total?: number; code?: string; message?: string }> => {
  const r = await fetch(`${BASE}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': key }, body: JSON.stringify({ query: '{ leads(first: 1) { totalCount } }' }) });
  const body = (await r.json().catch(() => ({}))) as { data?: { leads?: { totalCount: number } }; errors?: { message?: string; extensions?: { code?: string } }[] };
  return { status: r.status, total: body.data?.leads?.totalCount, code: body.errors?.[0]?.extensions?.code, message: body.errors?.[0]?.message };
};
const popconfirmOK = (p: Page, testid: string) => p.locator(`.ant-popover:not(.ant-popover-hidden) [data-testid=${testid}]`).click();

beforeAll(async () => {
  b = await launch();
  page = b.page;
  admin = await token(ADMIN.email, ADMIN.password);
});

afterAll(async () => {
  await b?.close();
});

describe('API keys', () => {
  it('creates a key shown once that works with its roles, lists it and revokes it (1440 px)', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto('/settings/api-keys');
    await page.getByTestId('apikeys-table').waitFor();
    expect(await page.getByTestId('nav').innerText()).toContain('API 密钥');
    const before = (await keysNow()).length;

    await page.getByTestId('apikey-new').click();
    await page.getByTestId('apikey-submit').click();
    await expect.poll(() => page.locator('.ant-form-item-explain-error').allInnerTexts()).toEqual(['请填写名称', '请至少选择一个角色']);
    await page.getByTestId('apikey-name').fill(NAME);
    await pick(page, page.getByTestId('apikey-roles'), '分析师');
    await shot(page, 'apikey-new');
    await page.getByTestId('apikey-submit').click();
    const secret = page.getByTestId('apikey-secret');
    await secret.waitFor();
    const key = await secret.inputValue();
    expect(key).toMatch(/^scrm_/);
    expect(await page.locator('.ant-modal:visible').innerText()).toContain('密钥只显示这一次');
    await shot(page, 'apikey-created', { fullPage: false });
    await page.getByTestId('apikey-done').click();

    const made = (await keysNow()).find((k) => k.name === NAME)!;
    expect((await keysNow()).length).toBe(before + 1);
    expect(made.roles).toEqual(['analyst']);
    expect(key.startsWith(made.prefix)).toBe(true);
    expect(made.createdBy?.name).toBeTruthy();
    const ok = await withKey(key);
    expect(ok.status).toBe(200);
    expect(ok.total).toBeGreaterThan(0);

    const row = page.locator('[data-testid=apikeys-table] tbody tr').filter({ hasText: NAME });
    await expect.poll(() => row.getByTestId('apikey-status').innerText()).toBe('有效');
    expect(await row.innerText()).toContain(made.prefix);
    expect(await row.innerText()).toContain('分析师');
    await shot(page, 'apikeys');

    await row.getByTestId('apikey-revoke').click();
    await popconfirmOK(page, 'apikey-revoke-ok');
    await expect.poll(() => row.getByTestId('apikey-status').innerText()).toMatch(/^已吊销/);
    expect((await keysNow()).find((k) => k.id === made.id)!.revokedAt).toBeTruthy();
    const refused = await withKey(key);
    expect(refused.total).toBeUndefined();
    expect(refused.code).toBe('UNAUTHENTICATED');
    expect(await row.getByTestId('apikey-revoke').count()).toBe(0);
    expect(b.errors).toEqual([]);
  });

  it('binds a key to addresses and an expiry; outside them it is refused, and an expired one shows 已过期 (1440 px)', async () => {
    const name = `${NAME} 限制`;
    await page.goto('/settings/api-keys');
    await page.getByTestId('apikeys-table').waitFor();
    await page.getByTestId('apikey-new').click();
    await page.getByTestId('apikey-name').fill(name);
    await pick(page, page.getByTestId('apikey-roles'), '分析师');
    const due = new Date(Date.now() + 2 * 86_400_000);
    const day = `${due.getFullYear()}-${String(due.getMonth() + 1).padStart(2, '0')}-${String(due.getDate()).padStart(2, '0')}`;
    await page.getByTestId('apikey-expires-input').click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type(`${day} 18:00`);
    await page.keyboard.press('Enter');
    await page.getByTestId('apikey-allowed-input').fill('127.0.0.1\n10.1.2.3/8, example.com');
    const before = (await keysNow()).length;
    await page.getByTestId('apikey-submit').click();
    await expect.poll(() => page.locator('.ant-form-item-explain-error').allInnerTexts()).toEqual(['"example.com" is not an IP address or CIDR prefix']);
    expect((await keysNow()).length).toBe(before);
    await page.getByTestId('apikey-allowed-input').fill('127.0.0.1\n10.1.2.3/8');
    await shot(page, 'apikey-limits');
    await page.getByTestId('apikey-submit').click();
    const secret = page.getByTestId('apikey-secret');
    await secret.waitFor();
    const key = await secret.inputValue();
    await page.getByTestId('apikey-done').click();
    const listed = (await gql<{ apiKeys: { name: string; expiresAt: string | null; allowedIPs: string[]; expired: boolean }[] }>(admin,
      `{ apiKeys { name expiresAt allowedIPs expired } }`)).apiKeys.find((k) => k.name === name)!;
    expect(listed.allowedIPs).toEqual(['127.0.0.1', '10.0.0.0/8']);
    expect(listed.expired).toBe(false);
    expect(listed.expiresAt).toBeTruthy();
    expect((await withKey(key)).total).toBeGreaterThan(0); // the test's requests come from 127.0.0.1
    const row = page.locator('[data-testid=apikeys-table] tbody tr').filter({ hasText: name });
    await expect.poll(() => row.getByTestId('apikey-allowed').innerText()).toContain('10.0.0.0/8');
    expect(await row.getByTestId('apikey-expires').innerText()).toContain(day);

    // Bound elsewhere: refused, saying from where; expiring in seconds: refused once passed, 已过期 in the list.
    const made = async (input: Record<string, unknown>) =>
      (await gql<{ createAPIKey: { key: string } }>(admin, `mutation($in: CreateAPIKeyInput!){ createAPIKey(input: $in) { key } }`,
        { in: { roles: ['analyst'], ...input } })).createAPIKey.key;
    const elsewhere = await withKey(await made({ name: `${NAME} 外网`, allowedIPs: ['192.0.2.0/24'] }));
    expect(elsewhere).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(elsewhere.message).toContain('may not be used from 127.0.0.1');
    const short = await made({ name: `${NAME} 短期`, expiresAt: new Date(Date.now() + 4000).toISOString() });
    expect((await withKey(short)).total).toBeGreaterThan(0);
    await expect.poll(async () => (await withKey(short)).message, { timeout: 15_000, interval: 1000 }).toMatch(/expired/);
    await page.reload();
    const gone = page.locator('[data-testid=apikeys-table] tbody tr').filter({ hasText: `${NAME} 短期` });
    await expect.poll(() => gone.getByTestId('apikey-status').innerText()).toBe('已过期');
    await shot(page, 'apikeys-expired');
    expect(b.errors).toEqual([]);
  });

  it('fits a phone (390 px)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/settings/api-keys');
    await page.locator('[data-testid=apikeys-table] tbody tr').filter({ hasText: NAME }).first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, 'apikeys-390');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });
});
