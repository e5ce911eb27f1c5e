// The bell is pushed, not polled (#24): with rep2's page open and its live
// socket up (while it is up the bell does not poll at all), the manager gives
// rep2 a task through the API and the bell's badge and list change without a
// reload; a churn alert shows the 流失提醒 toast whose link opens the
// lead: it comes as in production, from WeCom's callbacks (encrypted and
// signed as WeCom does) to a channel pointed at a fake WeCom on loopback:
// rep2's member adds a customer whose remark mobile is the lead's phone
// (the add path merges it into the lead), then the customer deletes the
// member (del_follow_user), whose handler writes the notification and its
// delivery. A dropped socket (closed from the page with a
// code graphql-ws retries) reconnects and the bell reads the count again;
// marking read elsewhere recounts it at once. A socket refused for its
// token (4401) asks to sign in again at once, and after signing in the
// bell is pushed again. At 1440 px and 390 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { ADMIN, gql, launch, shot, signIn, token, userPassword, weComCallback, type Browser } from './lib';

let b: Browser;
let page: Page;
let manager: string;
let rep: string;
let repID: string;
let lead: { id: string; name: string; phone: string };
let admin: string;
let workspaceID: string;

const REP = 'rep2@demo.scrm.dev';
const stamp = Date.now() % 100000;
const unreadCount = async () => (await gql<{ unreadNotificationCount: number }>(rep, `{ unreadNotificationCount }`)).unreadNotificationCount;
const bell = () => page.getByTestId('notifications-bell');
const badge = () => page.locator('.ant-badge:has([data-testid=notifications-bell]) .ant-badge-count');
const shownUnread = async () => Number(await bell().getAttribute('data-unread'));

beforeAll(async () => {
  b = await launch();
  page = b.page;
  // The page's websockets, so that a step can drop them as a network would.
  await b.context.addInitScript(() => {
    const Native = window.WebSocket;
    const open: WebSocket[] = [];
    (window as unknown as { __sockets: WebSocket[] }).__sockets = open;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        open.push(this);
      }
    } as typeof WebSocket;
  });
  manager = await token('manager@demo.scrm.dev', userPassword);
  rep = await token(REP, userPassword);
  repID = (await gql<{ me: { id: string } }>(rep, `{ me { id } }`)).me.id;
  const leads = await gql<{ leads: { edges: { node: { id: string; name: string; phone: string | null } }[] } }>(manager,
    `query($w: LeadWhereInput){ leads(first: 20, where: $w) { edges { node { id name phone } } } }`, { w: { ownerID: repID, status: 'ACTIVE' } });
  const withPhone = leads.leads.edges.map((e) => e.node).find((l) => l.phone);
  lead = { ...withPhone!, phone: withPhone!.phone! };
  admin = await token(ADMIN.email, ADMIN.password);
  workspaceID = (await gql<{ me: { workspace: { id: string } } }>(admin, `{ me { workspace { id } } }`)).me.workspace.id;
  fake = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      res.setHeader('Content-Type', 'application/json');
      if (url.pathname === '/cgi-bin/gettoken') {
        res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', access_token: FAKE_TOKEN, expires_in: 7200 }));
      } else if (url.searchParams.get('access_token') !== FAKE_TOKEN) {
        res.end(JSON.stringify({ errcode: 40014, errmsg: 'invalid access_token' }));
      } else if (url.pathname === '/cgi-bin/externalcontact/get' && url.searchParams.get('external_userid') === CUSTOMER) {
        // The customer as rep2's member noted them: the lead's name and phone.
        res.end(JSON.stringify({
          errcode: 0, errmsg: 'ok',
          external_contact: { external_userid: CUSTOMER, name: lead.name, type: 1, gender: 1, unionid: '', corp_name: '' },
          follow_user: [{ userid: MEMBER, remark: '', description: '', createtime: Math.floor(Date.now() / 1000), tags: [], remark_mobiles: [lead.phone], add_way: 1, oper_userid: MEMBER, state: '' }],
        }));
      } else {
        res.end(JSON.stringify({ errcode: 60011, errmsg: `the e2e fake has no ${url.pathname}` }));
      }
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  const fakeURL = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  await gql(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c) { key } }`, {
    c: { corpId: CORP, agentId: 1000002, contactSecret: 'e2e-contact-secret', callbackToken: CB_TOKEN, encodingAESKey: AES_KEY, baseUrl: fakeURL },
  });
  await gql(admin, `mutation($id: ID!, $m: String){ updateUser(id: $id, input: { wecomUserID: $m }) { id } }`, { id: repID, m: MEMBER });
});

afterAll(async () => {
  // Later specs link members of their own.
  if (admin && repID) await gql(admin, `mutation($id: ID!){ updateUser(id: $id, input: { wecomUserID: "" }) { id } }`, { id: repID });
  await b?.close();
  await new Promise((r) => fake?.close(r));
});

// The fake WeCom (gettoken, externalcontact/get of the customer) and the
// channel's callback secrets.
const CORP = 'wwe2e0000000000024';
const CB_TOKEN = 'e2eLiveToken24';
const AES_KEY = randomBytes(32).toString('base64').replace(/=+$/, ''); // 43 characters
const FAKE_TOKEN = `e2e-live-token-${stamp}`;
const MEMBER = `e2e-live-m-${stamp}`;
const CUSTOMER = `wmE2ELive${stamp}`;
let fake: Server;

/** A WeCom callback event about CUSTOMER and rep2's member, encrypted and signed as WeCom does; its HTTP status. */
async function callback(changeType: string): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const xml = `<xml><ToUserName><![CDATA[${CORP}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${now}</CreateTime>` +
    `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[${changeType}]]></ChangeType>` +
    `<UserID><![CDATA[${MEMBER}]]></UserID><ExternalUserID><![CDATA[${CUSTOMER}]]></ExternalUserID></xml>`;
  return weComCallback({ workspaceID, corp: CORP, token: CB_TOKEN, aesKey: AES_KEY }, xml);
}

/** The lead's uuid, from its global id (base64 of "Lead:<uuid>"). */
const leadUUID = () => Buffer.from(lead.id, 'base64').toString().split(':')[1];

/**
 * Writes a notification of kind for rep2 on the lead (by its id: the demo
 * has many leads of one name) with psql, with its
 * delivery task (notifications:deliver) in the same transaction when
 * deliver, else none (it is then never announced). Ids are typed as the
 * server's: the type bytes of existing rows.
 */
function insertNote(kind: string, message: string, deliver: boolean): void {
  const newID = (typ: string) =>
    `encode(overlay(overlay(uuid_send(gen_random_uuid()) PLACING substring(int8send(floor(extract(epoch FROM now()) * 1000)::int8) FROM 3) FROM 1 FOR 6) PLACING ${typ} FROM 7 FOR 2), 'hex')::uuid`;
  const q = (s: string) => s.replace(/'/g, "''");
  execFileSync('psql', [process.env.DATABASE_URL!, '-qAt', '-v', 'ON_ERROR_STOP=1', '-c', `
    WITH typ AS (
      SELECT (SELECT substring(uuid_send(id) FROM 7 FOR 2) FROM notifications LIMIT 1) AS n,
             (SELECT substring(uuid_send(id) FROM 7 FOR 2) FROM outbox_tasks LIMIT 1) AS o
    ), rep AS (SELECT id, tenant_id FROM users WHERE email = '${REP}'), note AS (
      INSERT INTO notifications (id, tenant_id, user_id, kind, lead_id, message, created_at)
      SELECT ${newID('typ.n')}, l.tenant_id, rep.id, '${q(kind)}', l.id, '${q(message)}', now()
      FROM typ, rep JOIN leads l ON l.tenant_id = rep.tenant_id AND l.id = '${leadUUID()}'::uuid
      RETURNING id, tenant_id
    )
    INSERT INTO outbox_tasks (id, tenant_id, task_type, payload, queue, created_at, attempts, last_error)
    SELECT ${newID('typ.o')}, note.tenant_id, 'notifications:deliver',
      convert_to(json_build_object('tenant_id', note.tenant_id, 'ids', json_build_array(note.id))::text, 'UTF8'), 'default', now(), 0, ''
    FROM typ, note WHERE ${deliver}`]);
}

/** Waits until the bell's socket is up and its badge is the API's count. */
async function settled(): Promise<number> {
  await expect.poll(() => bell().getAttribute('data-live'), { timeout: 15_000 }).toBe('up');
  const n = await unreadCount();
  await expect.poll(shownUnread, { timeout: 10_000 }).toBe(n);
  return n;
}

describe('the bell, pushed', () => {
  it('shows a new task at once, and a churn alert as a toast with the lead (1440 px)', async () => {
    await signIn(page, REP, userPassword);
    const before = await settled();

    const due = new Date(Date.now() + 3 * 86_400_000).toISOString();
    await gql(manager, `mutation($in: CreateTaskInput!){ createTask(input: $in) { id } }`,
      { in: { title: `推送测试 ${stamp}`, dueAt: due, assigneeID: repID } });
    // No reload and no poll (the socket is up): the push moves the badge.
    await expect.poll(shownUnread, { timeout: 5_000 }).toBe(before + 1);
    expect(await badge().getAttribute('title')).toBe(String(before + 1));
    expect(await bell().getAttribute('data-live')).toBe('up');
    await bell().click();
    const newest = page.locator('.ant-popover .ant-list-item').first();
    await expect.poll(() => newest.innerText(), { timeout: 5_000 }).toContain(`推送测试 ${stamp}`);
    await shot(page, 'bell-pushed-1440');
    await bell().click();

    // A churn alert, through WeCom's callbacks: rep2's member adds the
    // customer (merged into the lead by its phone), then the customer
    // deletes the member.
    expect(await callback('add_external_contact')).toBe(200);
    const contacts = await gql<{ node: { wecomContacts: { user: { id: string } }[] } }>(manager,
      `query($id: ID!){ node(id: $id) { ... on Lead { wecomContacts { user { id } } } } }`, { id: lead.id });
    expect(contacts.node.wecomContacts.map((c) => c.user.id)).toContain(repID);
    expect(await callback('del_follow_user')).toBe(200);
    const toast = page.locator('.ant-notification-notice').filter({ hasText: '流失提醒' });
    await toast.waitFor({ timeout: 10_000 });
    expect(await toast.getByTestId('lost-toast').innerText()).toContain(`客户「${lead.name}」已在企业微信删除了成员`);
    // The task's, the alert's and whatever the add told rep2 (a duplicate's notice).
    const unread = await unreadCount();
    expect(unread).toBeGreaterThanOrEqual(before + 2);
    await expect.poll(shownUnread, { timeout: 5_000 }).toBe(unread);
    await shot(page, 'bell-lost-toast-1440', { fullPage: false });
    const link = toast.getByRole('link', { name: lead.name });
    expect(await link.getAttribute('href')).toBe(`/leads/${lead.id}`);
    await link.click();
    await page.waitForURL(new RegExp(`/leads/${lead.id}$`));
    expect(b.errors).toEqual([]);
  });

  it('reads the count again after the socket dropped or another tab marked read, and is pushed on a phone (390 px)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const before = await settled();
    // A notification nobody announces (no delivery task), then the page's
    // socket dropped: the reconnected subscription's first event is a
    // resync, and only it can move the badge (no poll while the socket is up).
    insertNote('task.assigned', `未推送 ${stamp}`, false);
    expect(await unreadCount()).toBe(before + 1);
    await page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets
      .forEach((s) => s.readyState === WebSocket.OPEN && s.close(4000, 'e2e: dropped')));
    await expect.poll(() => bell().getAttribute('data-live'), { timeout: 10_000 }).toBe('down');
    await expect.poll(() => bell().getAttribute('data-live'), { timeout: 30_000 }).toBe('up');
    await expect.poll(shownUnread, { timeout: 10_000 }).toBe(before + 1);

    // Marked read elsewhere (another tab, through the API): announced, the
    // bell recounts at once.
    await gql(rep, `mutation{ markNotificationsRead(ids: null) }`);
    await expect.poll(shownUnread, { timeout: 5_000 }).toBe(0);

    const due = new Date(Date.now() + 3 * 86_400_000).toISOString();
    await gql(manager, `mutation($in: CreateTaskInput!){ createTask(input: $in) { id } }`,
      { in: { title: `推送测试 ${stamp} 手机`, dueAt: due, assigneeID: repID, leadID: lead.id } });
    await expect.poll(shownUnread, { timeout: 5_000 }).toBe(1);
    await shot(page, 'bell-pushed-390', { fullPage: false });
    expect(b.errors).toEqual([]);
  });

  it('a socket refused for its token (4401) asks to sign in again at once; signed in, the bell is pushed again', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    // The home page: a lead page's query names the workspace's custom
    // fields, which a refused token's request is validated without (400).
    await page.goto('/');
    const before = await settled();
    // The token turns into one the server refuses, and the socket
    // reconnects with it: no HTTP request is made (no poll while the
    // socket was up), so only the socket's 4401 can ask to sign in.
    await page.evaluate(() => {
      localStorage.setItem('scrm.token', 'v1.expired.token');
      (window as unknown as { __sockets: WebSocket[] }).__sockets
        .forEach((s) => s.readyState === WebSocket.OPEN && s.close(4000, 'e2e: dropped'));
    });
    await page.getByTestId('reauth-password').waitFor({ timeout: 15_000 });
    expect(await bell().getAttribute('data-live')).toBe('down');
    await page.getByTestId('reauth-password').fill(userPassword);
    await page.getByTestId('reauth-submit').click();
    await page.getByTestId('reauth-password').waitFor({ state: 'detached' });
    await expect.poll(() => bell().getAttribute('data-live'), { timeout: 15_000 }).toBe('up');

    const due = new Date(Date.now() + 3 * 86_400_000).toISOString();
    await gql(manager, `mutation($in: CreateTaskInput!){ createTask(input: $in) { id } }`,
      { in: { title: `推送测试 ${stamp} 重新登录`, dueAt: due, assigneeID: repID } });
    await expect.poll(shownUnread, { timeout: 5_000 }).toBe(before + 1);
    expect(b.errors).toEqual([]);
  });
});
