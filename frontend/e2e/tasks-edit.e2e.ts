// Changing and cancelling tasks, who made them, the own tabs' kind filter,
// the 已取消 tab and the task.cancelled notice,
// and the lead page's 任务 tab (#23). The demo's manager 陈静 runs 华东一组
// (rep1 王磊, rep2 李娜). Each step is checked against the API.
// - The manager edits and reassigns rep1's task from 团队 (a past due time
//   refused under its field; rep2 told), and rep1, whose edit dialog was
//   open meanwhile, is told it is no longer theirs (1440 px).
// - rep1 filters the own tabs by kind (counts against the API), edits an own
//   task (no assignee choice) and cancels one with a reason, which then
//   shows in 已取消 (nobody told); a cancel of a task completed meanwhile is
//   refused in words (1440 px).
// - The lead page lists the lead's open tasks: rep1 its own, makes one there,
//   completes one (1440 px); the manager sees the team's on the lead, with
//   their assignees, and cancels one on a phone; the task centre's cards
//   edit and cancel at 390 px too.
// - rep2 is told (task.cancelled, with the reason) when the manager cancels
//   its task, and finds it in 已取消 on a phone (390 px).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { formItem, gql, launch, pick, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;
let manager: string;
let rep1: string;
let rep2: string;
let rep1ID: string;
let rep2ID: string;
let managerName: string;
let leadA: string;

const MANAGER = 'manager@demo.scrm.dev';
const REP1 = 'rep1@demo.scrm.dev';
const stamp = Date.now() % 100000;
/** A day about half a year ahead, as the browser (Asia/Shanghai) writes it. */
const DUE_DAY = new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10);

interface TaskNode {
  id: string; title: string; description: string; status: string; kind: string; dueAt: string; note: string | null;
  assignee: { id: string; name: string }; createdBy: { id: string; name: string } | null; lead: { id: string } | null;
}
const FIELDS = `id title description status kind dueAt note assignee { id name } createdBy { id name } lead { id }`;
const create = async (as: string, input: Record<string, unknown>) =>
  (await gql<{ createTask: TaskNode }>(as, `mutation($in: CreateTaskInput!){ createTask(input: $in) { ${FIELDS} } }`, { in: input })).createTask;
const node = async (as: string, id: string) =>
  (await gql<{ node: TaskNode | null }>(as, `query($id: ID!){ node(id: $id) { ... on Task { ${FIELDS} } } }`, { id })).node;
const soon = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

/** Pages the list forward until the row (or card) of the task is on screen. */
async function findTask(testid: string, id: string, next = 'tasks-next'): Promise<void> {
  const el = page.locator(`[data-testid=${testid}][data-task="${id}"]`);
  for (let i = 0; i < 30 && (await el.count()) === 0; i++) {
    await page.waitForTimeout(300);
    if ((await el.count()) > 0) break;
    const btn = next.startsWith('[') ? page.locator(next) : page.getByTestId(next);
    if (await btn.isDisabled()) continue;
    const first = await page.locator(`[data-testid=${testid}]`).first().getAttribute('data-task');
    await btn.click();
    await expect.poll(() => page.locator(`[data-testid=${testid}]`).first().getAttribute('data-task')).not.toBe(first);
  }
  await el.waitFor();
}
const dialog = (testid: string) => page.locator('.ant-modal').filter({ has: page.getByTestId(testid) });
async function typeDue(field: ReturnType<Page['locator']>, value: string): Promise<void> {
  await field.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(value);
  await page.keyboard.press('Enter');
}

beforeAll(async () => {
  b = await launch();
  page = b.page;
  manager = await token(MANAGER, userPassword);
  rep1 = await token(REP1, userPassword);
  rep2 = await token('rep2@demo.scrm.dev', userPassword);
  const me = await gql<{ me: { id: string; name: string } }>(manager, `{ me { id name } }`);
  managerName = me.me.name;
  rep1ID = (await gql<{ me: { id: string } }>(rep1, `{ me { id } }`)).me.id;
  rep2ID = (await gql<{ me: { id: string } }>(rep2, `{ me { id } }`)).me.id;
  const leads = await gql<{ leads: { edges: { node: { id: string } }[] } }>(manager,
    `query($w: LeadWhereInput){ leads(first: 1, where: $w) { edges { node { id } } } }`, { w: { ownerID: rep1ID, status: 'ACTIVE' } });
  leadA = leads.leads.edges[0].node.id;
});

afterAll(async () => {
  await b?.close();
});

describe('editing, reassigning and cancelling tasks', () => {
  it('a manager edits and reassigns rep1’s task from 团队; rep1’s open edit is then refused in words (1440 px)', async () => {
    const given = await create(manager, { title: `经理安排 ${stamp}`, description: '带上报价单', dueAt: soon(30), assigneeID: rep1ID, leadID: leadA });
    expect(given.createdBy).toEqual({ id: (await gql<{ me: { id: string } }>(manager, `{ me { id } }`)).me.id, name: managerName });

    // rep1 opens the edit dialog of it first (in a second browser: a session is the origin's localStorage).
    const b2 = await launch();
    const other = page;
    page = b2.page;
    await signIn(page, REP1, userPassword);
    await page.goto('/tasks?tab=open&kind=TASK');
    await findTask('task-row', given.id);
    const repRow = page.locator(`[data-testid=task-row][data-task="${given.id}"]`);
    expect(await repRow.getByTestId('task-source').innerText()).toBe(`${managerName} 创建`);
    await repRow.getByTestId('task-edit').click();
    await dialog('task-edit-title').waitFor();
    expect(await page.getByTestId('task-edit-assignee').count()).toBe(0); // a rep cannot reassign
    page = other;

    await signIn(page, MANAGER, userPassword);
    await page.goto('/tasks?tab=team');
    await page.getByTestId('team-tasks').waitFor();
    await pick(page, page.getByTestId('team-filter-assignee'), '销售 王磊', true);
    await findTask('team-task-row', given.id, '[data-testid=team-tasks] button[aria-label="下一页"]');
    const row = page.locator(`[data-testid=team-task-row][data-task="${given.id}"]`);
    expect(await row.getByTestId('task-source').innerText()).toBe(`${managerName} 创建`);
    await row.getByTestId('task-edit').click();
    const modal = dialog('task-edit-title');
    await modal.waitFor();
    expect(await page.getByTestId('task-edit-title').inputValue()).toBe(`经理安排 ${stamp}`);
    // A due time in the past: refused under its field, nothing changed.
    await typeDue(modal.getByTestId('task-edit-due'), '2020-01-01 10:00');
    await page.getByTestId('task-edit-ok').click();
    await formItem(modal, '截止时间').getByText('the due time has passed').waitFor();
    expect((await node(manager, given.id))?.dueAt).toBe(given.dueAt);
    await page.getByTestId('task-edit-title').fill(`经理安排（改）${stamp}`);
    await typeDue(modal.getByTestId('task-edit-due'), `${DUE_DAY} 15:30`);
    await pick(page, modal.getByTestId('task-edit-assignee'), '销售 李娜');
    await shot(page, 'tasks-edit-1440');
    await page.getByTestId('task-edit-ok').click();
    await page.locator('.ant-message-notice').filter({ hasText: `已将「经理安排（改）${stamp}」转给 销售 李娜` }).waitFor();
    await page.getByTestId('task-edit-title').waitFor({ state: 'detached' });
    // The API: rep2's now, renamed, due then, still made by the manager; rep2 was told.
    const after = await node(manager, given.id);
    expect(after).toMatchObject({ title: `经理安排（改）${stamp}`, description: '带上报价单', assignee: { id: rep2ID }, createdBy: { name: managerName }, status: 'OPEN' });
    expect(new Date(after!.dueAt).toISOString()).toBe(`${DUE_DAY}T07:30:00.000Z`);
    const notes = await gql<{ notifications: { kind: string; message: string }[] }>(rep2, `{ notifications(first: 20) { kind message } }`);
    expect(notes.notifications.some((n) => n.kind === 'task.assigned' && n.message.includes(`「经理安排（改）${stamp}」`))).toBe(true);
    // The filtered list no longer has it (it is rep2's).
    await row.waitFor({ state: 'detached' });

    // rep1 saves its dialog: the task is no longer theirs.
    page = b2.page;
    await page.getByTestId('task-edit-title').fill('我来改');
    await page.getByTestId('task-edit-ok').click();
    expect(await page.getByTestId('task-edit-error').innerText()).toContain('该待办已不在你的可见范围内（可能已转给他人）');
    await page.locator(`[data-testid=task-row][data-task="${given.id}"]`).waitFor({ state: 'detached' });
    expect((await node(manager, given.id))?.title).toBe(`经理安排（改）${stamp}`);
    expect(b2.errors).toEqual([]);
    await b2.close();
    page = other;
    expect(b.errors).toEqual([]);
  });

  it('rep1 filters its tabs by kind, edits its own task and cancels one with a reason (1440 px)', async () => {
    const own = await create(rep1, { title: `自己的 ${stamp}`, dueAt: soon(20), leadID: leadA });
    const toCancel = await create(rep1, { title: `要取消的 ${stamp}`, dueAt: soon(25) });
    expect(own.createdBy?.id).toBe(rep1ID);
    await signIn(page, REP1, userPassword);
    await page.goto('/tasks?tab=open');
    const total = async () => Number((await page.getByTestId('tasks-total').innerText()).replace(/[^\d]/g, ''));
    const count = async (kind?: string) =>
      (await gql<{ myTasks: { totalCount: number } }>(rep1, `query($k: TaskKind){ myTasks(status: OPEN, kind: $k, first: 1) { totalCount } }`, { k: kind ?? null })).myTasks.totalCount;
    await page.locator('[data-testid=tasks][data-loading=false]').waitFor();
    await expect.poll(total).toBe(await count());
    // 任务: TASKs only; the filter is kept in the URL, also across tabs.
    await pick(page, page.getByTestId('tasks-filter-kind'), '任务');
    await page.waitForURL('**/tasks?tab=open&kind=TASK');
    await expect.poll(total).toBe(await count('TASK'));
    await findTask('task-row', own.id);
    expect(new Set(await page.locator('[data-testid=task-row] [data-testid=task-kind]').allInnerTexts())).toEqual(new Set(['任务']));
    await pick(page, page.getByTestId('tasks-filter-kind'), '跟进承诺');
    await page.waitForURL('**/tasks?tab=open&kind=FOLLOW_UP');
    await expect.poll(total).toBe(await count('FOLLOW_UP'));
    if ((await count('FOLLOW_UP')) > 0) {
      await page.getByTestId('task-row').first().waitFor();
      expect(new Set(await page.locator('[data-testid=task-row] [data-testid=task-kind]').allInnerTexts())).toEqual(new Set(['跟进承诺']));
      // A promise was made by whoever wrote the follow-up (the demo's: its rep).
      expect(await page.getByTestId('task-row').first().getByTestId('task-source').innerText()).toMatch(/^.+ 创建$/);
    }
    await page.getByTestId('tasks-tab-done').click();
    await page.waitForURL('**/tasks?tab=done&kind=FOLLOW_UP');
    await page.getByTestId('tasks-tab-open').click();
    await pick(page, page.getByTestId('tasks-filter-kind'), '任务');
    await page.waitForURL('**/tasks?tab=open&kind=TASK');

    // Edit: no assignee for a rep; an unchanged form sends nothing.
    await findTask('task-row', own.id);
    const row = page.locator(`[data-testid=task-row][data-task="${own.id}"]`);
    expect(await row.getByTestId('task-source').innerText()).toBe('销售 王磊 创建');
    await row.getByTestId('task-edit').click();
    const modal = dialog('task-edit-title');
    await modal.waitFor();
    expect(await page.getByTestId('task-edit-assignee').count()).toBe(0);
    await page.getByTestId('task-edit-ok').click();
    expect(await page.getByTestId('task-edit-error').innerText()).toBe('没有修改');
    await page.getByTestId('task-edit-description').fill('先发微信再打电话');
    await page.getByTestId('task-edit-ok').click();
    await page.locator('.ant-message-notice').filter({ hasText: `已保存「自己的 ${stamp}」` }).waitFor();
    expect(await node(rep1, own.id)).toMatchObject({ title: `自己的 ${stamp}`, description: '先发微信再打电话', dueAt: own.dueAt, assignee: { id: rep1ID } });
    await expect.poll(() => row.innerText()).toContain('先发微信再打电话');

    // Cancel: confirmed, with a reason; the row leaves the open list.
    await findTask('task-row', toCancel.id);
    const before = await total();
    await page.locator(`[data-testid=task-row][data-task="${toCancel.id}"]`).getByTestId('task-cancel').click();
    const cancel = dialog('task-cancel-note');
    await cancel.waitFor();
    expect(await cancel.innerText()).toContain('取消后该待办移到负责人的「已取消」中');
    // 返回 leaves it open.
    await page.getByTestId('task-cancel-back').click();
    await cancel.waitFor({ state: 'detached' });
    expect((await node(rep1, toCancel.id))?.status).toBe('OPEN');
    await page.locator(`[data-testid=task-row][data-task="${toCancel.id}"]`).getByTestId('task-cancel').click();
    await page.getByTestId('task-cancel-note').fill('客户已自行到店');
    await shot(page, 'tasks-cancel-1440');
    await page.getByTestId('task-cancel-ok').click();
    await page.locator('.ant-message-notice').filter({ hasText: `已取消「要取消的 ${stamp}」` }).waitFor();
    await page.locator(`[data-testid=task-row][data-task="${toCancel.id}"]`).waitFor({ state: 'detached' });
    await expect.poll(total).toBe(before - 1);
    expect(await node(rep1, toCancel.id)).toMatchObject({ status: 'CANCELLED', note: '客户已自行到店' });
    // It is in 已取消 with its reason; cancelling one's own task tells nobody.
    await page.getByTestId('tasks-tab-cancelled').click();
    await expect.poll(() => page.url()).toContain('tab=cancelled');
    await findTask('task-row', toCancel.id);
    const gone = page.locator(`[data-testid=task-row][data-task="${toCancel.id}"]`);
    expect(await gone.getByTestId('task-note-shown').innerText()).toBe('客户已自行到店');
    expect(await gone.getByTestId('task-cancel').count()).toBe(0);
    expect(await page.getByTestId('tasks-table').innerText()).toContain('取消原因');
    const told = await gql<{ notifications: { kind: string; message: string }[] }>(rep1, `{ notifications(first: 50) { kind message } }`);
    expect(told.notifications.some((n) => n.kind === 'task.cancelled' && n.message.includes(`要取消的 ${stamp}`))).toBe(false);
    await page.getByTestId('tasks-tab-open').click();
    await findTask('task-row', own.id);

    // A task completed elsewhere while its cancel dialog is open: refused in words.
    await row.getByTestId('task-cancel').click();
    await dialog('task-cancel-note').waitFor();
    await gql(rep1, `mutation($id: ID!){ completeTask(id: $id) { id } }`, { id: own.id });
    await page.getByTestId('task-cancel-ok').click();
    expect(await page.getByTestId('task-cancel-error').innerText()).toContain('该待办已完成或已取消，不能再取消');
    await row.waitFor({ state: 'detached' });
    await page.getByTestId('task-cancel-back').click();
    expect((await node(rep1, own.id))?.status).toBe('DONE');
    expect(b.errors).toEqual([]);
  });
});

describe('the lead page’s tasks', () => {
  it('rep1 sees its open tasks on the lead, makes one there and completes one (1440 px)', async () => {
    const t1 = await create(rep1, { title: `线索任务甲 ${stamp}`, dueAt: soon(40), leadID: leadA });
    // rep2's task on the same lead (made by the manager): not rep1's to see.
    await create(manager, { title: `李娜的 ${stamp}`, dueAt: soon(45), assigneeID: rep2ID, leadID: leadA });
    await signIn(page, REP1, userPassword);
    await page.goto(`/leads/${leadA}`);
    const tab = page.getByTestId('lead-tasks-tab');
    const mine = async () =>
      (await gql<{ myTasks: { totalCount: number; edges: { node: { id: string; title: string } }[] } }>(rep1,
        `query($l: ID!){ myTasks(leadID: $l, first: 100) { totalCount edges { node { id title } } } }`, { l: leadA })).myTasks;
    await expect.poll(() => tab.innerText()).toBe(`任务 (${(await mine()).totalCount})`);
    await tab.click();
    const list = page.getByTestId('lead-tasks');
    await list.locator(`[data-testid=lead-task][data-task="${t1.id}"]`).waitFor();
    expect(new Set(await list.getByTestId('lead-task').evaluateAll((els) => els.map((e) => e.getAttribute('data-task')))))
      .toEqual(new Set((await mine()).edges.map((e) => e.node.id)));
    expect(await list.innerText()).not.toContain(`李娜的 ${stamp}`);

    // 新建任务 in the tab: for this lead; the list has it at once.
    await page.getByTestId('lead-tasks-new').click();
    const modal = dialog('task-new-title');
    await modal.waitFor();
    await page.getByTestId('task-new-title').fill(`线索页再建 ${stamp}`);
    await page.getByTestId('task-new-ok').click();
    await page.locator('.ant-message-notice').filter({ hasText: `已创建任务「线索页再建 ${stamp}」` }).waitFor();
    await list.getByTestId('lead-task-title').filter({ hasText: `线索页再建 ${stamp}` }).waitFor();
    const made = (await mine()).edges.find((e) => e.node.title === `线索页再建 ${stamp}`);
    expect(made).toBeTruthy();
    await expect.poll(() => tab.innerText()).toBe(`任务 (${(await mine()).totalCount})`);
    await shot(page, 'lead-tasks-1440');

    // Complete one with a note: it leaves the list and the note is a follow-up.
    await list.locator(`[data-testid=lead-task][data-task="${t1.id}"]`).getByTestId('task-complete').click();
    await page.getByTestId('task-note').fill(`线索页完成 ${stamp}`);
    await page.getByTestId('task-complete-ok').click();
    await page.locator('.ant-message-notice').filter({ hasText: `已完成「线索任务甲 ${stamp}」` }).waitFor();
    await list.locator(`[data-testid=lead-task][data-task="${t1.id}"]`).waitFor({ state: 'detached' });
    expect(await node(rep1, t1.id)).toMatchObject({ status: 'DONE', note: `线索页完成 ${stamp}` });

    // Edit one from the lead page.
    await list.locator(`[data-testid=lead-task][data-task="${made!.node.id}"]`).getByTestId('task-edit').click();
    await dialog('task-edit-title').waitFor();
    await page.getByTestId('task-edit-title').fill(`线索页改名 ${stamp}`);
    await page.getByTestId('task-edit-ok').click();
    await list.getByTestId('lead-task-title').filter({ hasText: `线索页改名 ${stamp}` }).waitFor();
    expect((await node(rep1, made!.node.id))?.title).toBe(`线索页改名 ${stamp}`);
    expect(b.errors).toEqual([]);
  });

  it('the manager sees the team’s tasks on the lead with their assignees and cancels one on a phone; the cards edit and cancel (390 px)', async () => {
    const forRep2 = await create(manager, { title: `手机取消 ${stamp}`, dueAt: soon(50), assigneeID: rep2ID, leadID: leadA });
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, MANAGER, userPassword);
    await page.goto(`/leads/${leadA}`);
    const team = async () =>
      (await gql<{ tasks: { totalCount: number; edges: { node: { id: string } }[] } }>(manager,
        `query($l: ID!){ tasks(where: { leadID: $l }, first: 100) { totalCount edges { node { id } } } }`, { l: leadA })).tasks;
    const tab = page.getByTestId('lead-tasks-tab');
    await expect.poll(() => tab.innerText()).toBe(`任务 (${(await team()).totalCount})`);
    await tab.click();
    const list = page.getByTestId('lead-tasks');
    const item = list.locator(`[data-testid=lead-task][data-task="${forRep2.id}"]`);
    await item.waitFor();
    expect(new Set(await list.getByTestId('lead-task').evaluateAll((els) => els.map((e) => e.getAttribute('data-task')))))
      .toEqual(new Set((await team()).edges.map((e) => e.node.id)));
    expect(await item.getByTestId('lead-task-assignee').innerText()).toBe('负责人：销售 李娜');
    expect(await item.getByTestId('task-source').innerText()).toBe(`${managerName} 创建`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'lead-tasks-390');
    await item.getByTestId('task-cancel').click();
    await page.getByTestId('task-cancel-note').fill('不用跟了');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.getByTestId('task-cancel-ok').click();
    await item.waitFor({ state: 'detached' });
    expect(await node(manager, forRep2.id)).toMatchObject({ status: 'CANCELLED', note: '不用跟了' });

    // The task centre's cards: edit (the assignee offered) and cancel at 390 px.
    const own = await create(manager, { title: `手机编辑 ${stamp}`, dueAt: soon(15) });
    await page.goto('/tasks?tab=open&kind=TASK');
    await findTask('task-card', own.id);
    const card = page.locator(`[data-testid=task-card][data-task="${own.id}"]`);
    await card.getByTestId('task-edit').click();
    const modal = dialog('task-edit-title');
    await modal.waitFor();
    expect(await page.getByTestId('task-edit-assignee').count()).toBe(1);
    await page.getByTestId('task-edit-title').fill(`手机改过 ${stamp}`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'tasks-edit-390');
    await page.getByTestId('task-edit-ok').click();
    await page.locator('.ant-message-notice').filter({ hasText: `已保存「手机改过 ${stamp}」` }).waitFor();
    await expect.poll(() => card.getByTestId('task-title').innerText()).toBe(`手机改过 ${stamp}`);
    await card.getByTestId('task-cancel').click();
    await page.getByTestId('task-cancel-ok').click();
    await card.waitFor({ state: 'detached' });
    expect(await node(manager, own.id)).toMatchObject({ title: `手机改过 ${stamp}`, status: 'CANCELLED', note: null });
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });

  it('rep2 is told that the manager cancelled its task and finds it in 已取消 with the reason (390 px)', async () => {
    const given = await create(manager, { title: `经理取消 ${stamp}`, dueAt: soon(55), assigneeID: rep2ID, leadID: leadA });
    await gql(manager, `mutation($id: ID!){ cancelTask(id: $id, note: "客户已签约") { id } }`, { id: given.id });
    const told = await gql<{ notifications: { kind: string; message: string }[] }>(rep2, `{ notifications(first: 50) { kind message } }`);
    expect(told.notifications.filter((n) => n.kind === 'task.cancelled' && n.message.includes(`「经理取消 ${stamp}」`)).map((n) => n.message))
      .toEqual([`${managerName} 取消了你的待办「经理取消 ${stamp}」：客户已签约`]);
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, 'rep2@demo.scrm.dev', userPassword);
    await page.goto('/tasks?tab=cancelled');
    await findTask('task-card', given.id);
    const card = page.locator(`[data-testid=task-card][data-task="${given.id}"]`);
    expect(await card.getByTestId('task-note-shown').innerText()).toBe('客户已签约');
    expect(await card.innerText()).toContain('取消时间');
    expect(await card.getByTestId('task-closed-by').innerText()).toBe(managerName);
    expect(await card.getByTestId('task-cancel').count()).toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'tasks-cancelled-390');
    // The tab's total is the API's.
    const n = (await gql<{ myTasks: { totalCount: number } }>(rep2, `{ myTasks(status: CANCELLED, first: 1) { totalCount } }`)).myTasks.totalCount;
    await expect.poll(() => page.getByTestId('tasks-total').innerText()).toContain(String(n));
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });

  it('the manager is told when rep1 cancels a task it gave, its notice opens 团队 · 已取消, which shows who made and who cancelled it (1440 px)', async () => {
    const rep1Name = (await gql<{ me: { name: string } }>(rep1, `{ me { name } }`)).me.name;
    const given = await create(manager, { title: `经理交代 ${stamp}`, dueAt: soon(65), assigneeID: rep1ID, leadID: leadA });
    await gql(rep1, `mutation($id: ID!){ cancelTask(id: $id, note: "客户改期") { id } }`, { id: given.id });
    type Told = { notifications: { id: string; kind: string; message: string }[] };
    const told = await gql<Told>(manager, `{ notifications(first: 50) { id kind message } }`);
    const notice = told.notifications.filter((n) => n.kind === 'task.given_cancelled' && n.message.includes(`「经理交代 ${stamp}」`));
    expect(notice.map((n) => n.message)).toEqual([`${rep1Name} 取消了你给 ${rep1Name} 的待办「经理交代 ${stamp}」：客户改期`]);
    const mine = await gql<Told>(rep1, `{ notifications(first: 50) { id kind message } }`);
    expect(mine.notifications.some((n) => n.kind.includes('cancelled') && n.message.includes(`「经理交代 ${stamp}」`))).toBe(false);

    // The notice (a task the manager gave, not in its own tabs) opens the 团队 view on cancelled tasks.
    await signIn(page, MANAGER, userPassword);
    await page.goto('/notifications?kind=task.given_cancelled');
    await page.locator(`[data-testid=notification][data-id="${notice[0].id}"]`).getByTestId('notification-link').click();
    await expect.poll(() => page.url()).toContain('/tasks?tab=team&status=CANCELLED');
    await page.getByTestId('team-tasks').waitFor();
    expect(await page.getByTestId('team-filter-status').innerText()).toContain('已取消');
    await pick(page, page.getByTestId('team-filter-assignee'), rep1Name, true);
    await findTask('team-task-row', given.id, '[data-testid=team-tasks] button[aria-label="下一页"]');
    const row = page.locator(`[data-testid=team-task-row][data-task="${given.id}"]`);
    expect(await row.getByTestId('task-source').innerText()).toBe(`${managerName} 创建`);
    expect(await row.getByTestId('team-task-closed-by').innerText()).toContain(rep1Name);
    expect(await row.getByTestId('team-task-note').innerText()).toBe('客户改期');
    expect(await page.getByTestId('team-tasks').innerText()).toContain('取消人');
    await shot(page, 'tasks-team-cancelled-1440');
    expect(b.errors).toEqual([]);
  });
});
