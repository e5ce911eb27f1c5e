// The bell is pushed, not polled (#24): with rep2's page open and its live
// socket up (while it is up the bell does not poll at all), the manager gives
// rep2 a task through the API and the bell's badge and list change without a
// reload; a churn alert (wecom.lost, written with its delivery task in one
// transaction as the WeCom callback writes it) shows the 流失提醒 toast
// whose link opens the lead. A dropped socket (closed from the page with a
// code graphql-ws retries) reconnects and the bell reads the count again;
// marking read elsewhere recounts it at once. A socket refused for its
// token (4401) asks to sign in again at once, and after signing in the
// bell is pushed again. At 1440 px and 390 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { gql, launch, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;
let manager: string;
let rep: string;
let repID: string;
let lead: { id: string; name: string };

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
  const leads = await gql<{ leads: { edges: { node: { id: string; name: string } }[] } }>(manager,
    `query($w: LeadWhereInput){ leads(first: 1, where: $w) { edges { node { id name } } } }`, { w: { ownerID: repID, status: 'ACTIVE' } });
  lead = leads.leads.edges[0].node;
});

afterAll(async () => {
  await b?.close();
});

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

    // A churn alert: the notification and its delivery task in one
    // transaction, as internal/wecom's del_follow_user handler writes them.
    const message = `客户「${lead.name}」已在企业微信删除了成员 测试${stamp}（流失）。`;
    insertNote('wecom.lost', message, true);
    const toast = page.locator('.ant-notification-notice').filter({ hasText: '流失提醒' });
    await toast.waitFor({ timeout: 10_000 });
    expect(await toast.getByTestId('lost-toast').innerText()).toContain(message);
    await expect.poll(shownUnread, { timeout: 5_000 }).toBe(before + 2);
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
