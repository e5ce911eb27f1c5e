// The web app's WeCom pieces (scripts/e2e.sh runs this against `scrm serve`
// with the demo workspace — no real WeCom service is ever called; the specs
// run in the order of their names, so contact-ways.e2e.ts, which tests the
// sync without a corp, has run). An admin links users to WeCom members on
// the users page (set, CONFLICT on a second user said on the field, clear);
// a demo lead has no 企业微信 section. Then the wecom channel is pointed
// (baseUrl) at a fake WeCom this test runs on loopback (gettoken, the corp
// tag list and batch/get_by_user), the sync's progress ends in success,
// and a synced lead shows its members, their add times and the channel
// state; a del_follow_user callback, encrypted and signed as WeCom does,
// makes one of them 已流失 in red with its date. At 1440 px and 390 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { ADMIN, BASE, formItem, gql, launch, shot, signIn, token, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;
let workspaceID: string;

interface User { id: string; name: string; email: string; wecomUserID?: string | null }
let rep1: User;
let rep2: User;
let rep3: User;

const stamp = Date.now() % 1_000_000;
const M1 = `e2e-m1-${stamp}`;
const M2 = `e2e-m2-${stamp}`;
const CORP = 'wwe2e0000000000002';
const CB_TOKEN = 'e2eToken123';
const AES_KEY = randomBytes(32).toString('base64').replace(/=+$/, ''); // 43 characters
const SHARED = `wmE2EShared${stamp}`; // a customer of both members
const ALONE = `wmE2EAlone${stamp}`; // rep1's only
const SHARED_NAME = `企微客户甲${stamp}`;
const ADDED1 = Math.floor(Date.parse('2026-03-01T02:00:00Z') / 1000);
const ADDED2 = Math.floor(Date.parse('2026-03-05T02:00:00Z') / 1000);
const calls: string[] = [];

// The fake WeCom: gettoken, get_corp_tag_list (empty), add_corp_tag (echoes
// ids), batch/get_by_user (the two members' customers, one page).
const FAKE_TOKEN = `e2e-token-${stamp}`;
let fake: Server;
let fakeURL: string;
function customer(ext: string, name: string, member: string, at: number, state: string) {
  return {
    external_contact: { external_userid: ext, name, type: 1, gender: 1, unionid: '', corp_name: '' },
    follow_info: { userid: member, remark: '', description: '', createtime: at, tag_id: [], remark_mobiles: [], add_way: 1, oper_userid: member, state },
  };
}

beforeAll(async () => {
  b = await launch();
  page = b.page;
  admin = await token(ADMIN.email, ADMIN.password);
  workspaceID = (await gql<{ me: { workspace: { id: string } } }>(admin, `{ me { workspace { id } } }`)).me.workspace.id;
  const users = (await gql<{ users: { edges: { node: User }[] } }>(admin, `{ users(first: 100) { edges { node { id name email wecomUserID } } } }`)).users.edges.map((e) => e.node);
  rep1 = users.find((u) => u.email === 'rep1@demo.scrm.dev')!;
  rep2 = users.find((u) => u.email === 'rep2@demo.scrm.dev')!;
  rep3 = users.find((u) => u.email === 'rep3@demo.scrm.dev')!;
  // contact-ways.e2e.ts (run before this file) links reps to its own members: start from none.
  for (const u of [rep1, rep2, rep3]) {
    await gql(admin, `mutation($id: ID!){ updateUser(id: $id, input: { wecomUserID: "" }) { id } }`, { id: u.id });
    u.wecomUserID = null;
  }

  fake = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString();
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      calls.push(url.pathname);
      res.setHeader('Content-Type', 'application/json');
      const ok = url.searchParams.get('access_token') === FAKE_TOKEN;
      if (url.pathname === '/cgi-bin/gettoken') {
        res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', access_token: FAKE_TOKEN, expires_in: 7200 }));
      } else if (!ok) {
        res.end(JSON.stringify({ errcode: 40014, errmsg: 'invalid access_token' }));
      } else if (url.pathname === '/cgi-bin/externalcontact/get_corp_tag_list') {
        res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', tag_group: [] }));
      } else if (url.pathname === '/cgi-bin/externalcontact/add_corp_tag') {
        const tags = (body.tag as { name: string }[] | undefined) ?? [];
        res.end(JSON.stringify({
          errcode: 0, errmsg: 'ok',
          tag_group: { group_id: `g-${calls.length}`, group_name: body.group_name, create_time: 1, order: 1, tag: tags.map((x, i) => ({ id: `t-${calls.length}-${i}`, name: x.name, create_time: 1, order: 1 })) },
        }));
      } else if (url.pathname === '/cgi-bin/externalcontact/batch/get_by_user') {
        const members = (body.userid_list as string[] | undefined) ?? [];
        const list = [
          ...(members.includes(M1) ? [customer(SHARED, SHARED_NAME, M1, ADDED1, ''), customer(ALONE, `企微客户乙${stamp}`, M1, ADDED1 + 60, 'cwSpring')] : []),
          ...(members.includes(M2) ? [customer(SHARED, SHARED_NAME, M2, ADDED2, 'cwExpo2026')] : []),
        ];
        res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', external_contact_list: list, next_cursor: '' }));
      } else {
        res.end(JSON.stringify({ errcode: 60011, errmsg: `the e2e fake has no ${url.pathname}` }));
      }
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  fakeURL = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await b?.close();
  await new Promise((r) => fake?.close(r));
});

const wecomID = async (u: User) =>
  (await gql<{ node: { wecomUserID: string | null } }>(admin, `query($id: ID!){ node(id: $id) { ... on User { wecomUserID } } }`, { id: u.id })).node.wecomUserID;
const dialog = () => page.getByRole('dialog').filter({ hasText: '编辑用户' });
const memberInput = () => formItem(dialog(), '企业微信成员 ID').locator('input');

/** Opens the user form of u on the users page, sets the member id to value and saves. */
async function setMemberID(u: User, value: string) {
  const row = page.locator('.ant-table-row').filter({ hasText: u.email });
  await row.getByRole('button', { name: /编\s*辑/ }).click();
  await dialog().waitFor().catch(async (e) => {
    await shot(page, 'FAILED-user-dialog');
    throw e;
  });
  await memberInput().fill(value);
  await dialog().getByRole('button', { name: /确\s*定|OK/ }).click();
}

/** A WeCom callback, encrypted with the EncodingAESKey and signed with the token as WeCom does. */
async function callback(xml: string): Promise<number> {
  const key = Buffer.from(`${AES_KEY}=`, 'base64');
  const msg = Buffer.from(xml);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length);
  let plain = Buffer.concat([randomBytes(16), len, msg, Buffer.from(CORP)]);
  const pad = 32 - (plain.length % 32);
  plain = Buffer.concat([plain, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  const encrypt = Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(6).toString('hex');
  const sig = createHash('sha1').update([CB_TOKEN, ts, nonce, encrypt].sort().join('')).digest('hex');
  const res = await fetch(`${BASE}/v1/callbacks/${workspaceID}/wecom?msg_signature=${sig}&timestamp=${ts}&nonce=${nonce}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml' },
    body: `<xml><ToUserName><![CDATA[${CORP}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`,
  });
  return res.status;
}

let sharedLead = '';

describe('WeCom in the web app', () => {
  it("links users to WeCom members: set, a second user's CONFLICT on the field, clear", async () => {
    expect(rep1.wecomUserID ?? null).toBeNull();
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto('/settings/users');
    await page.locator('.ant-table-row').filter({ hasText: rep1.email }).waitFor();
    expect(await page.locator('.ant-table thead').first().innerText()).toContain('企业微信成员 ID');

    await setMemberID(rep1, M1);
    await dialog().waitFor({ state: 'detached' });
    expect(await wecomID(rep1)).toBe(M1);
    await page.locator('.ant-table-row').filter({ hasText: rep1.email }).getByTestId('user-wecom').filter({ hasText: M1 }).waitFor();

    // rep2 with rep1's member id: refused, said on the field in Chinese; nothing stored.
    await setMemberID(rep2, M1);
    const err = formItem(dialog(), '企业微信成员 ID').locator('.ant-form-item-explain-error');
    await err.waitFor();
    expect(await err.innerText()).toBe('该企业微信成员 ID 已关联到另一位用户');
    await shot(page, 'wecom-member-conflict-1440');
    expect(await wecomID(rep2)).toBeNull();
    // Corrected, it saves.
    await memberInput().fill(M2);
    await dialog().getByRole('button', { name: /确\s*定|OK/ }).click();
    await dialog().waitFor({ state: 'detached' });
    expect(await wecomID(rep2)).toBe(M2);

    // Set and cleared: an empty id unlinks.
    await setMemberID(rep3, `e2e-tmp-${stamp}`);
    await dialog().waitFor({ state: 'detached' });
    expect(await wecomID(rep3)).toBe(`e2e-tmp-${stamp}`);
    await setMemberID(rep3, '');
    await dialog().waitFor({ state: 'detached' });
    expect(await wecomID(rep3)).toBeNull();
    expect(b.errors).toEqual([]);
  });

  it('a demo lead has no 企业微信 section', async () => {
    const { leads } = await gql<{ leads: { edges: { node: { id: string } }[] } }>(admin, `{ leads(first: 1) { edges { node { id } } } }`);
    await page.goto(`/leads/${leads.edges[0].node.id}`);
    await page.getByTestId('lead-tags').waitFor();
    expect(await page.getByTestId('lead-wecom').count()).toBe(0);
  });

  it("syncs through (a fake) WeCom with progress to success, and the lead shows its members", async () => {
    await gql(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c) { key } }`, {
      c: { corpId: CORP, agentId: 1000002, contactSecret: 'e2e-contact-secret', callbackToken: CB_TOKEN, encodingAESKey: AES_KEY, baseUrl: fakeURL },
    });
    await page.goto('/wecom/contact-ways');
    await page.getByTestId('wecom-sync').click();
    await page.getByTestId('wecom-sync-done').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('wecom-sync-progress').getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await page.getByTestId('wecom-sync-done').innerText()).toBe('同步完成：3 / 3 个客户关系');
    expect(await page.locator('.ant-progress').getAttribute('aria-valuenow')).toBe('100');
    await shot(page, 'wecom-sync-done-1440');
    expect(calls).toContain('/cgi-bin/externalcontact/batch/get_by_user');
    await page.getByTestId('wecom-sync-close').click();

    const { leads } = await gql<{ leads: { edges: { node: { id: string } }[] } }>(admin, `query($n: String){ leads(first: 2, where: { nameContains: $n }) { edges { node { id } } } }`, { n: SHARED_NAME });
    expect(leads.edges).toHaveLength(1);
    sharedLead = leads.edges[0].node.id;
    await page.goto(`/leads/${sharedLead}`);
    const section = page.getByTestId('lead-wecom');
    await section.waitFor();
    expect(await section.innerText()).toContain('企业微信 (2)');
    const rows = page.getByTestId('wecom-contact');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).getByTestId('wecom-member').innerText()).toBe(rep1.name);
    expect(await rows.nth(0).innerText()).toContain('添加时间 2026-03-01 10:00'); // Asia/Shanghai
    // The add's state (follow_info.state) comes with the sync: rep1 added them directly, rep2 through a code.
    expect(await rows.nth(0).getByTestId('wecom-state').innerText()).toBe('渠道: 未记录');
    expect(await rows.nth(1).getByTestId('wecom-member').innerText()).toBe(rep2.name);
    expect(await rows.nth(1).innerText()).toContain('添加时间 2026-03-05 10:00');
    expect(await rows.nth(1).getByTestId('wecom-state').innerText()).toBe('渠道: cwExpo2026');
    expect(await page.getByTestId('wecom-lost').count()).toBe(0);
    expect(b.errors).toEqual([]);
  });

  it('a customer who deleted a member (del_follow_user) is 已流失 in red with the date, at 1440 px and 390 px', async () => {
    const now = Math.floor(Date.now() / 1000);
    const status = await callback(
      `<xml><ToUserName><![CDATA[${CORP}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${now}</CreateTime>` +
        `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[del_follow_user]]></ChangeType>` +
        `<UserID><![CDATA[${M2}]]></UserID><ExternalUserID><![CDATA[${SHARED}]]></ExternalUserID></xml>`,
    );
    expect(status).toBe(200);
    const api = await gql<{ node: { wecomContacts: { user: { id: string }; lostAt: string | null }[] } }>(admin,
      `query($id: ID!){ node(id: $id) { ... on Lead { wecomContacts { user { id } lostAt } } } }`, { id: sharedLead });
    const lostAt = api.node.wecomContacts.find((c) => c.user.id === rep2.id)?.lostAt;
    expect(lostAt).toBeTruthy();

    await page.reload();
    const lost = page.getByTestId('wecom-lost');
    await lost.waitFor();
    const shown = new Date(lostAt!).toLocaleString('sv-SE', { timeZone: 'Asia/Shanghai' }).slice(0, 16);
    expect(await lost.innerText()).toBe(`已流失 · ${shown}`);
    // Red: the tag's text is mostly red.
    const [r, g, bl] = (await lost.evaluate((el) => getComputedStyle(el).color)).match(/\d+/g)!.map(Number);
    expect(r).toBeGreaterThan(150);
    expect(Math.max(g, bl)).toBeLessThan(100);
    expect(await page.getByTestId('wecom-contact').nth(1).getAttribute('data-lost')).toBe('true');
    await page.getByTestId('lead-wecom').scrollIntoViewIfNeeded();
    await shot(page, 'wecom-lead-1440');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByTestId('lead-wecom').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.getByTestId('lead-wecom').scrollIntoViewIfNeeded();
    await shot(page, 'wecom-lead-390');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });

  it('a manager (channel read) sees no sync button', async () => {
    await signIn(page, 'manager@demo.scrm.dev', 'demo-user-2026');
    await page.goto('/wecom/contact-ways');
    await page.getByTestId('cw-table').waitFor();
    expect(await page.getByTestId('wecom-sync').count()).toBe(0);
    expect(b.errors).toEqual([]);
  });
});
