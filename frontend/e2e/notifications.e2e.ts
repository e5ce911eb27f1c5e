// The notifications page (通知, #24): rep2 (李娜, of the manager 陈静's team)
// gets tasks from the manager — 22 without a lead and one on a lead of hers,
// each a task.assigned notification — and reads them in the browser. Each
// step is checked against the API (notificationPage, unreadNotificationCount).
// - From the bell's 查看全部 to /notifications: newest first, 20 a page, the
//   next page is the API's page after the first one's cursor; 未读 and the
//   kind filter (kept in the URL); 标为已读 marks that one only; a task's on a
//   lead opens the lead's 任务 tab with the task marked, a task's without a
//   lead opens 待办; 全部已读 leaves
//   none unread and the bell's badge goes (1440 px).
// - At 390 px the page fits the screen, filters and marks read (390 px).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { gql, launch, pick, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;
let manager: string;
let rep: string;
let repID: string;
let leadID: string;
let leadTaskID: string;

const REP = 'rep2@demo.scrm.dev';
const stamp = Date.now() % 100000;

interface Note { id: string; kind: string; message: string; readAt: string | null; lead: { id: string } | null }
interface NotePage {
  notificationPage: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: Note }[] };
  unreadNotificationCount: number;
}
const read = (vars: Record<string, unknown> = {}) =>
  gql<NotePage>(rep, `query($u: Boolean, $k: [String!], $f: Int, $a: Cursor){
    notificationPage(unreadOnly: $u, kinds: $k, first: $f, after: $a) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id kind message readAt lead { id } } } }
    unreadNotificationCount }`, { f: 20, ...vars });
const ids = (p: NotePage) => p.notificationPage.edges.map((e) => e.node.id);
const rowIDs = () => page.getByTestId('notification').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
/** Waits until the rows on screen are the API's page. */
async function sameRows(want: string[]): Promise<void> {
  await expect.poll(rowIDs, { timeout: 10_000 }).toEqual(want);
}
const row = (id: string) => page.locator(`[data-testid=notification][data-id="${id}"]`);

beforeAll(async () => {
  b = await launch();
  page = b.page;
  manager = await token('manager@demo.scrm.dev', userPassword);
  rep = await token(REP, userPassword);
  repID = (await gql<{ me: { id: string } }>(rep, `{ me { id } }`)).me.id;
  const leads = await gql<{ leads: { edges: { node: { id: string } }[] } }>(manager,
    `query($w: LeadWhereInput){ leads(first: 1, where: $w) { edges { node { id } } } }`, { w: { ownerID: repID, status: 'ACTIVE' } });
  leadID = leads.leads.edges[0].node.id;
  const due = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const create = `mutation($in: CreateTaskInput!){ createTask(input: $in) { id } }`;
  for (let i = 0; i < 22; i++) await gql(manager, create, { in: { title: `通知测试 ${stamp} #${i}`, dueAt: due, assigneeID: repID } });
  leadTaskID = (await gql<{ createTask: { id: string } }>(manager, create,
    { in: { title: `通知测试 ${stamp} 有线索`, dueAt: due, assigneeID: repID, leadID } })).createTask.id;
});

afterAll(async () => {
  await b?.close();
});

describe('the notifications page', () => {
  it('lists, pages, filters, marks read and links from the bell’s 查看全部 (1440 px)', async () => {
    await signIn(page, REP, userPassword);
    const first = await read();
    expect(first.notificationPage.totalCount).toBeGreaterThanOrEqual(23);
    expect(first.notificationPage.edges[0].node.message).toContain(`通知测试 ${stamp} 有线索`);

    await page.getByTestId('notifications-bell').click();
    await page.getByTestId('notifications-view-all').click();
    await page.waitForURL(/\/notifications$/);
    await sameRows(ids(first));
    expect(await page.getByTestId('notifications-total').innerText()).toBe(`共 ${first.notificationPage.totalCount.toLocaleString()} 条`);
    await shot(page, 'notifications-1440');

    // The next page is the API's page after the first one's cursor.
    const second = await read({ a: first.notificationPage.pageInfo.endCursor });
    await page.getByTestId('notifications-next').click();
    await sameRows(ids(second));
    await page.getByTestId('notifications-prev').click();
    await sameRows(ids(first));

    // 未读, then the kind: both in the URL, the rows the API's.
    await page.getByTestId('notifications-filter').getByText('未读').click();
    await page.waitForURL(/unread=1/);
    await sameRows(ids(await read({ u: true })));
    await pick(page, page.getByTestId('notifications-kind'), '新待办');
    await page.waitForURL(/kind=task\.assigned/);
    const assigned = await read({ u: true, k: ['task.assigned'] });
    await sameRows(ids(assigned));
    expect(assigned.notificationPage.edges.every((e) => e.node.kind === 'task.assigned' && !e.node.readAt)).toBe(true);
    await page.reload();
    await sameRows(ids(assigned));

    // 标为已读 marks that one only: it leaves the unread list.
    const withLead = assigned.notificationPage.edges[0].node;
    const unreadBefore = assigned.unreadNotificationCount;
    await row(withLead.id).getByTestId('notification-read').click();
    await row(withLead.id).waitFor({ state: 'detached' });
    const after = await read();
    expect(after.unreadNotificationCount).toBe(unreadBefore - 1);
    expect(after.notificationPage.edges.find((e) => e.node.id === withLead.id)?.node.readAt).toBeTruthy();

    // Links: a task's on a lead opens the lead's 任务 tab with the task marked; a task's without a lead opens 待办.
    await page.goto('/notifications?kind=task.assigned');
    await row(withLead.id).waitFor();
    expect(await row(withLead.id).getAttribute('data-read')).toBe('true');
    await row(withLead.id).getByTestId('notification-link').click();
    await page.waitForURL(new RegExp(`/leads/${leadID}\\?tab=tasks&task=${leadTaskID}$`));
    await page.locator(`[data-testid=lead-task][data-task="${leadTaskID}"][data-marked=true]`).waitFor();
    expect(await page.getByTestId('lead-tasks').isVisible()).toBe(true);
    await page.goBack();
    const noLead = after.notificationPage.edges.find((e) => e.node.kind === 'task.assigned' && !e.node.lead)!.node;
    await row(noLead.id).getByTestId('notification-link').click();
    await page.waitForURL(/\/tasks/);
    await page.goBack();

    // 全部已读: none unread, and the bell's badge goes.
    const bellBadge = page.locator('.ant-badge:has([data-testid=notifications-bell]) .ant-badge-count');
    await expect.poll(() => bellBadge.count()).toBe(1);
    await page.getByTestId('notifications-read-all').click();
    await page.locator('.ant-message-notice').filter({ hasText: '条通知标为已读' }).waitFor();
    await expect.poll(async () => (await read()).unreadNotificationCount).toBe(0);
    await expect.poll(() => page.locator('[data-testid=notification][data-read=false]').count()).toBe(0);
    // The bell's badge only: the to-do button beside it has its own, which
    // counts whatever tasks and follow-ups of rep2 fall due today.
    await expect.poll(() => bellBadge.count()).toBe(0);
    expect(b.errors).toEqual([]);
  });

  it('fits a phone, filters and marks read (390 px)', async () => {
    const due = new Date(Date.now() + 3 * 86_400_000).toISOString();
    await gql(manager, `mutation($in: CreateTaskInput!){ createTask(input: $in) { id } }`,
      { in: { title: `通知测试 ${stamp} 手机`, dueAt: due, assigneeID: repID, leadID } });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/notifications?unread=1');
    const unread = await read({ u: true });
    expect(unread.notificationPage.totalCount).toBe(1);
    await sameRows(ids(unread));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'notifications-390');
    await row(ids(unread)[0]).getByTestId('notification-read').click();
    await page.getByText('没有未读通知').waitFor();
    expect((await read()).unreadNotificationCount).toBe(0);
    await page.getByTestId('notifications-filter').getByText('全部').click();
    await sameRows(ids(await read()));
    expect(b.errors).toEqual([]);
  });
});
