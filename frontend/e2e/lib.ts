// Helpers of the browser tests: Debian's Chromium through playwright-core
// (no browser download), a signed-in page, antd controls, GraphQL calls
// from the test, screenshots.
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BASE = process.env.SCRM_E2E_URL ?? 'http://127.0.0.1:8080';
export const OUT = process.env.SCRM_E2E_OUT ?? 'e2e/out';
export const WORKSPACE = 'demo';
export const ADMIN = { email: 'admin@demo.scrm.dev', password: 'demo-admin-2026' };
export const userPassword = 'demo-user-2026';

// The flags this machine needs: no sandbox as root, no GPU, and no
// background network traffic (the network is closed).
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  errors: string[];
  close: () => Promise<void>;
}

/** A fresh Chromium with an empty user-data-dir and one page. */
export async function launch(): Promise<Browser> {
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'scrm-e2e-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    baseURL: BASE,
    // The app then switches antd's animations off (MotionPreference): no
    // click lands on a dialog still zooming in on a loaded machine.
    reducedMotion: 'reduce',
  });
  // A promise rejected with nobody to catch it is an error of the run too.
  await context.addInitScript(() => {
    window.addEventListener('unhandledrejection', (e) => {
      const r = e.reason as { message?: string } | undefined;
      console.error(`unhandledrejection: ${r?.message ?? String(e.reason)}`);
    });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror at ${page.url()}: ${e.message}\n${e.stack ?? ''}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console at ${page.url()}: ${m.text()}`);
  });
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let shots = 0;
/** A full-page screenshot named by its order in the run (fullPage false: the viewport only, for a dialog). */
export async function shot(page: Page, name: string, { fullPage = true }: { fullPage?: boolean } = {}): Promise<void> {
  shots++;
  await page.waitForTimeout(250); // let antd's enter animations finish
  await page.screenshot({ path: join(OUT, `${String(shots).padStart(2, '0')}-${name}.png`), fullPage });
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/');
  await page.evaluate(() => localStorage.clear());
  await page.goto('/');
  await page.getByTestId('login-workspace').fill(WORKSPACE);
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

/** The antd form item whose label is label (inside scope). */
export function formItem(scope: Page | Locator, label: string): Locator {
  const root: Page = 'page' in scope && typeof scope.page === 'function' ? scope.page() : (scope as Page);
  return scope.locator('.ant-form-item').filter({ has: root.locator('.ant-form-item-label label', { hasText: label }) }).first();
}

/** Opens an antd Select (select: its root, or an element holding one) and picks the option showing text. */
export async function pick(page: Page, select: Locator, text: string, search = false): Promise<void> {
  const isRoot = await select.evaluate((el) => el.classList.contains('ant-select'));
  const root = isRoot ? select : select.locator('.ant-select').first();
  const multiple = await root.evaluate((el) => el.classList.contains('ant-select-multiple'));
  // A re-render that moves the control while its list is open can swallow a
  // click; the pick is checked and tried again.
  for (let attempt = 0; ; attempt++) {
    await root.click();
    if (search) await page.keyboard.type(text);
    const option = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: text }).first();
    await option.click();
    if (multiple) await page.keyboard.press('Escape');
    const shown = await root.innerText().catch(() => '');
    if (shown.includes(text) || attempt >= 2) return;
    await page.keyboard.press('Escape');
  }
}

/** Sends a GraphQL operation as the holder of token (for setup and cross-checks). */
export async function gql<T = Record<string, unknown>>(token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`GraphQL: ${body.errors.map((e) => e.message).join('; ')}`);
  return body.data as T;
}

export async function token(email: string, password: string): Promise<string> {
  const d = await gql<{ login: { token: string } }>(null, `mutation($w:String!,$e:String!,$p:String!){ login(input:{workspace:$w,email:$e,password:$p}){ token } }`, {
    w: WORKSPACE, e: email, p: password,
  });
  return d.login.token;
}

/** A workspace's WeCom callback secrets, as its wecom channel is configured. */
export interface WeComCallbackKeys {
  workspaceID: string;
  corp: string;
  token: string;
  /** The 43-character EncodingAESKey. */
  aesKey: string;
}

/**
 * Posts xml to the workspace's WeCom callback, encrypted with the
 * EncodingAESKey and signed with the token as WeCom does (AES-256-CBC of
 * random(16) · length · xml · corpID, PKCS#7 to 32 bytes; SHA-1 of the sorted
 * token, timestamp, nonce and ciphertext); returns the HTTP status.
 */
export async function weComCallback(k: WeComCallbackKeys, xml: string): Promise<number> {
  const key = Buffer.from(`${k.aesKey}=`, 'base64');
  const msg = Buffer.from(xml);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length);
  let plain = Buffer.concat([randomBytes(16), len, msg, Buffer.from(k.corp)]);
  const pad = 32 - (plain.length % 32);
  plain = Buffer.concat([plain, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  const encrypt = Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(6).toString('hex');
  const sig = createHash('sha1').update([k.token, ts, nonce, encrypt].sort().join('')).digest('hex');
  const res = await fetch(`${BASE}/v1/callbacks/${k.workspaceID}/wecom?msg_signature=${sig}&timestamp=${ts}&nonce=${nonce}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml' },
    body: `<xml><ToUserName><![CDATA[${k.corp}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`,
  });
  return res.status;
}

/** GraphQL requests of a page held back until released, as a slow server would answer them. */
export interface Held {
  /** How many matching requests were held so far. */
  count(): number;
  /** Lets the held requests (and later ones) through. */
  release(): void;
  /** Releases them and stops watching the page's requests. */
  stop(): Promise<void>;
}

/** Holds the page's GraphQL requests whose body contains text (e.g. "query LeadsTotal") until released. */
export async function holdRequests(page: Page, text: string): Promise<Held> {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  let count = 0;
  await page.route('**/graphql', async (route) => {
    if ((route.request().postData() ?? '').includes(text)) {
      count++;
      await held;
    }
    await route.continue();
  });
  return {
    count: () => count,
    release: () => release(),
    stop: async () => {
      release();
      await page.unroute('**/graphql');
    },
  };
}
