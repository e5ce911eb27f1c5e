// The task centre (scripts/e2e.sh runs this against `scrm serve` with the
// demo workspace). The demo holds no tasks, so the setup makes them the way
// the product does: an admin's manual journey with two createTask steps for
// rep1 (one due at once, one in 48 hours), activated, with leads enrolled —
// eleven of rep1's own and one of rep2's, which rep1 may not see — and the
// server's worker runs the steps. Then rep1 finds them by tab (each count
// against the API's answer), pages through all open ones, completes one
// with a note (the API has it DONE, with the note as a follow-up on the
// lead), sees it under 已完成, and is told when a task was completed
// elsewhere meanwhile. At 1440 px and 390 px (cards).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, formItem, gql, launch, pick, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;
let rep: string;
let repID: string;

const REP = 'rep1@demo.scrm.dev';
const stamp = Date.now() % 100000;
const NOW_TITLE = `回访报价 ${stamp}`;
const LATER_TITLE = `寄送资料 ${stamp}`;
const NOTE = `电话已联系，客户下周到店 ${stamp}`;

interface TaskNode { id: string; title: string; status: string; note: string | null; lead: { id: string } | null }
interface Tasks { myTasks: { totalCount: number; edges: { node: TaskNode }[] } }
const MY_TASKS = `query($status: TaskStatus, $dueBefore: Time, $first: Int){ myTasks(status: $status, dueBefore: $dueBefore, first: $first) {
  totalCount edges { node { id title status note lead { id } } } } }`;

const myTasks = (vars: Record<string, unknown>) => gql<Tasks>(rep, MY_TASKS, { first: 200, ...vars });
/** The end of today and now, as the browser (Asia/Shanghai) counts them. */
const browserTimes = () => page.evaluate(() => {
  const d = new Date();
  d.setHours(24, 0, 0, 0);
  return { endOfDay: d.toISOString(), now: new Date().toISOString() };
});
const rowOf = (id: string) => page.locator(`[data-testid=task-row][data-task="${id}"]`);
/** Pages forward until the task's row (or card) is on screen: other tasks due as early may come first. */
async function showRow(id: string, testid = 'task-row'): Promise<void> {
  const el = page.locator(`[data-testid=${testid}][data-task="${id}"]`);
  // The tab in the URL is drawn (a navigation renders in a transition, after the URL changed) and loaded.
  const settled = `[data-testid=tasks][data-tab=${new URL(page.url()).searchParams.get('tab') ?? 'today'}][data-loading=false]`;
  await page.locator(settled).waitFor();
  await page.locator(`[data-testid=${testid}]`).first().waitFor();
  // Back to the first page: tasks due at the same instant (one journey batch
  // creates them) may list the row before the page an earlier search left open.
  for (let i = 0; i < 20 && (await el.count()) === 0 && !(await page.getByTestId('tasks-prev').isDisabled()); i++) {
    const first = await page.locator(`[data-testid=${testid}]`).first().getAttribute('data-task');
    await page.getByTestId('tasks-prev').click();
    await expect.poll(() => page.locator(`[data-testid=${testid}]`).first().getAttribute('data-task')).not.toBe(first);
    await page.locator(settled).waitFor();
  }
  for (let i = 0; i < 20 && (await el.count()) === 0; i++) {
    const first = await page.locator(`[data-testid=${testid}]`).first().getAttribute('data-task');
    expect(await page.getByTestId('tasks-next').isDisabled(), `task ${id} is on no page`).toBe(false);
    await page.getByTestId('tasks-next').click();
    await expect.poll(() => page.locator(`[data-testid=${testid}]`).first().getAttribute('data-task')).not.toBe(first);
    await page.locator(settled).waitFor();
  }
  await el.waitFor();
}
const total = async () => Number((await page.getByTestId('tasks-total').innerText()).replace(/[^\d]/g, ''));

let leadA: string; // rep1's own lead
let leadB: string; // rep2's lead: rep1 may not see it
let taskNowA: string; // due at once, on lead A
let taskNowB: string; // due at once, on lead B
let taskLaterA: string;

beforeAll(async () => {
  b = await launch();
  page = b.page;
  admin = await token(ADMIN.email, ADMIN.password);
  rep = await token(REP, userPassword);
  repID = (await gql<{ me: { id: string } }>(rep, `{ me { id } }`)).me.id;
  const rep2 = await token('rep2@demo.scrm.dev', userPassword);
  const rep2ID = (await gql<{ me: { id: string } }>(rep2, `{ me { id } }`)).me.id;
  const owned = async (ownerID: string, n: number) =>
    (await gql<{ leads: { edges: { node: { id: string } }[] } }>(admin, `query($w: LeadWhereInput, $n: Int){ leads(first: $n, where: $w) { edges { node { id } } } }`,
      { w: { ownerID, status: 'ACTIVE' }, n })).leads.edges.map((e) => e.node.id);
  const mine = await owned(repID, 11);
  const theirs = await owned(rep2ID, 1);
  expect(mine.length).toBeGreaterThanOrEqual(6);
  expect(theirs).toHaveLength(1);
  [leadA, leadB] = [mine[0], theirs[0]];

  const task = (title: string, dueInHours: number) => ({
    createTask: { title, description: `e2e：${title}，请与客户确认需求`, dueInHours, assignee: 'USER', userID: repID },
  });
  const j = await gql<{ createJourney: { id: string } }>(admin, `mutation($input: CreateJourneyInput!){ createJourney(input: $input) { id } }`, {
    input: { name: `e2e 待办 ${stamp}`, trigger: { manual: {} }, steps: [task(NOW_TITLE, 0), task(LATER_TITLE, 48)] },
  });
  const journeyID = j.createJourney.id;
  await gql(admin, `mutation($id: ID!){ setJourneyStatus(id: $id, status: ACTIVE) { id } }`, { id: journeyID });
  const enrolled = await gql<{ enrollLeads: { enrolled: number } }>(admin, `mutation($j: ID!, $ids: [ID!]!){ enrollLeads(journeyID: $j, leadIDs: $ids) { enrolled } }`,
    { j: journeyID, ids: [...mine, leadB] });
  expect(enrolled.enrollLeads.enrolled).toBe(mine.length + 1);

  // The worker runs the steps: wait until every task is there.
  const want = (mine.length + 1) * 2;
  let ours: TaskNode[] = [];
  for (const deadline = Date.now() + 90_000; ; await new Promise((r) => setTimeout(r, 1000))) {
    ours = (await myTasks({ status: 'OPEN' })).myTasks.edges.map((e) => e.node).filter((n) => n.title.endsWith(String(stamp)));
    if (ours.length >= want || Date.now() > deadline) break;
  }
  expect(ours).toHaveLength(want);
  const find = (title: string, lead: string | null) => ours.find((n) => n.title === title && (n.lead?.id ?? null) === lead)!.id;
  taskNowA = find(NOW_TITLE, leadA);
  taskLaterA = find(LATER_TITLE, leadA);
  // rep1 may not see rep2's lead: the task's lead is null for them.
  taskNowB = find(NOW_TITLE, null);
});

afterAll(async () => {
  await b?.close();
});

describe('task centre', () => {
  it('lists the tasks by tab with the counts the API gives, and pages through all open ones (1440 px)', async () => {
    await signIn(page, REP, userPassword);
    // The header's button counts open tasks due by the end of today.
    const { endOfDay } = await browserTimes();
    const dueToday = (await myTasks({ status: 'OPEN', dueBefore: endOfDay, first: 1 })).myTasks.totalCount;
    expect(dueToday).toBeGreaterThanOrEqual(12);
    await expect.poll(() => page.getByTestId('task-button').getAttribute('aria-label'), { timeout: 15_000 }).toBe(`待办：今天到期 ${dueToday} 项`);
    expect(await page.getByTestId('nav').innerText()).toContain('待办');

    // "g t" opens the task centre on 今天到期.
    await page.locator('.scrm-page-title h2').click();
    await page.keyboard.press('g');
    await page.keyboard.press('t');
    await page.waitForURL('**/tasks');
    await showRow(taskNowA);
    await expect.poll(total).toBe(dueToday);
    expect(await rowOf(taskLaterA).count()).toBe(0); // due in 48 hours: not today's
    const a = rowOf(taskNowA);
    expect(await a.getByTestId('task-kind').innerText()).toBe('任务');
    expect(await a.getByTestId('task-due').getAttribute('data-overdue')).toBe('true');
    expect(await a.getByTestId('task-due').innerText()).toMatch(/已逾期|刚刚到期/);
    expect(await a.getByTestId('task-lead').getAttribute('href')).toBe(`/leads/${leadA}`);
    expect(await a.innerText()).toContain('请与客户确认需求');
    // Made by the journey's step: no user made it (createdBy null), the journey is named.
    expect(await a.getByTestId('task-source').innerText()).toBe(`旅程「e2e 待办 ${stamp}」`);
    expect(await a.getByTestId('task-source').getAttribute('data-by')).toBe('journey');
    // rep2's lead: not a link, and its 打开线索 is disabled.
    await showRow(taskNowB);
    const bRow = rowOf(taskNowB);
    expect(await bRow.getByTestId('task-lead-missing').innerText()).toBe('线索不存在或你无权查看');
    expect(await bRow.getByTestId('task-lead').count()).toBe(0);
    expect(await bRow.getByTestId('task-open-lead').isDisabled()).toBe(true);
    await shot(page, 'tasks-today-1440');

    // 已逾期: OPEN tasks due before now.
    await page.getByTestId('tasks-tab-overdue').click();
    await page.waitForURL('**/tasks?tab=overdue');
    await showRow(taskNowA);
    const overdue = (await myTasks({ status: 'OPEN', dueBefore: (await browserTimes()).now, first: 1 })).myTasks.totalCount;
    await expect.poll(total).toBe(overdue);
    expect(await rowOf(taskLaterA).count()).toBe(0);

    // 全部待办: 24 and more, 20 a page; the second page has the rest.
    await page.getByTestId('tasks-tab-open').click();
    await page.waitForURL('**/tasks?tab=open');
    const open = (await myTasks({ status: 'OPEN', first: 1 })).myTasks.totalCount;
    expect(open).toBeGreaterThanOrEqual(24);
    await expect.poll(total).toBe(open);
    await expect.poll(() => page.locator('[data-testid=task-row]').count()).toBe(20);
    const firstPage = await page.locator('[data-testid=task-row]').evaluateAll((els) => els.map((e) => e.getAttribute('data-task')));
    await page.getByTestId('tasks-next').click();
    await expect.poll(() => page.locator('[data-testid=task-row]').first().getAttribute('data-task')).not.toBe(firstPage[0]);
    await expect.poll(() => page.locator('[data-testid=task-row]').count()).toBe(Math.min(20, open - 20));
    const secondPage = await page.locator('[data-testid=task-row]').evaluateAll((els) => els.map((e) => e.getAttribute('data-task')));
    expect(secondPage.some((id) => firstPage.includes(id))).toBe(false);
    expect(await page.getByTestId('tasks-pager').innerText()).toContain(`第 2 / ${Math.ceil(open / 20)} 页`);
    await page.getByTestId('tasks-prev').click();
    await expect.poll(() => page.locator('[data-testid=task-row]').evaluateAll((els) => els.map((e) => e.getAttribute('data-task')))).toEqual(firstPage);
    // The task due in 48 hours is open, not overdue.
    await showRow(taskLaterA);
    const later = rowOf(taskLaterA);
    expect(await later.getByTestId('task-due').getAttribute('data-overdue')).toBe('false');
    expect(await later.getByTestId('task-due').innerText()).toMatch(/天后到期|小时后到期/);
    await shot(page, 'tasks-open-1440');
    expect(b.errors).toEqual([]);
  });

  it('completes a task with a note: it leaves the open tabs, is DONE with the note as a follow-up, and shows under 已完成', async () => {
    await page.goto('/tasks');
    await showRow(taskNowA);
    const before = await total();
    await rowOf(taskNowA).getByTestId('task-complete').click();
    const modal = page.locator('.ant-modal').filter({ hasText: '完成待办' });
    await modal.waitFor();
    await modal.getByTestId('task-note').fill(NOTE);
    await shot(page, 'tasks-complete-1440');
    await page.getByTestId('task-complete-ok').click();
    await page.locator('.ant-message-notice').filter({ hasText: `已完成「${NOW_TITLE}」，备注已记为线索的跟进记录` }).waitFor();
    await rowOf(taskNowA).waitFor({ state: 'detached' });
    await expect.poll(total).toBe(before - 1);
    await expect.poll(() => page.getByTestId('task-button').getAttribute('aria-label')).toBe(`待办：今天到期 ${before - 1} 项`);

    // The API: DONE with the note, and the note is a follow-up on the lead.
    const done = (await myTasks({ status: 'DONE' })).myTasks.edges.map((e) => e.node).find((n) => n.id === taskNowA);
    expect(done).toMatchObject({ status: 'DONE', note: NOTE });
    const lead = await gql<{ node: { followUps: { kind: string; content: string }[] } }>(rep, `query($id: ID!){ node(id: $id) { ... on Lead { followUps { kind content } } } }`, { id: leadA });
    expect(lead.node.followUps).toContainEqual({ kind: 'NOTE', content: NOTE });

    await page.getByTestId('tasks-tab-done').click();
    await page.waitForURL('**/tasks?tab=done');
    await showRow(taskNowA);
    expect(await rowOf(taskNowA).getByTestId('task-note-shown').innerText()).toBe(NOTE);
    expect(await rowOf(taskNowA).getByTestId('task-complete').count()).toBe(0);
    await shot(page, 'tasks-done-1440');
    expect(b.errors).toEqual([]);
  });

  it('says so when a task was completed elsewhere meanwhile, and drops it', async () => {
    await page.goto('/tasks');
    await showRow(taskNowB);
    await rowOf(taskNowB).getByTestId('task-complete').click();
    await page.getByTestId('task-note').fill('已处理');
    // Completed through the API while the dialog is open.
    await gql(rep, `mutation($id: ID!){ completeTask(id: $id) { id } }`, { id: taskNowB });
    await page.getByTestId('task-complete-ok').click();
    expect(await page.getByTestId('task-complete-error').innerText()).toContain('该待办已完成或已取消，无法再次完成');
    await rowOf(taskNowB).waitFor({ state: 'detached' });
    await page.locator('.ant-modal').getByRole('button', { name: /取\s*消/ }).click();
    expect(b.errors).toEqual([]);
  });

  it('shows cards on a phone (390 px)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/tasks?tab=open');
    const card = page.locator(`[data-testid=task-card][data-task="${taskLaterA}"]`);
    await page.getByTestId('task-card').first().waitFor();
    expect(await page.getByTestId('tasks-table').count()).toBe(0);
    await showRow(taskLaterA, 'task-card');
    expect(await card.innerText()).toContain(LATER_TITLE);
    expect(await card.getByTestId('task-complete').count()).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'tasks-390');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });

  it('is not offered to a role without task read (analyst)', async () => {
    await signIn(page, 'analyst@demo.scrm.dev', userPassword);
    expect(await page.getByTestId('task-button').count()).toBe(0);
    expect(await page.getByTestId('nav').innerText()).not.toContain('待办');
    await page.goto('/tasks');
    await page.getByText('你的角色无权打开此页面。').waitFor();
    expect(b.errors).toEqual([]);
  });
});

// Tasks by hand and the managers' view (#23): the demo's manager 陈静 runs
// 华东一组 (rep1 王磊, rep2 李娜); rep3 张伟 is in a team she does not manage.
describe('tasks by hand and the team view', () => {
  const MANAGER = 'manager@demo.scrm.dev';
  const HAND_TITLE = `经理安排：回访 ${stamp}`;
  const LEAD_TITLE = `线索页新建 ${stamp}`;
  const PHONE_TITLE = `手机新建 ${stamp}`;
  /** A day about half a year ahead (the API takes due times up to two years ahead). */
  const DUE_DAY = new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10);
  interface TeamTasks { tasks: { totalCount: number; edges: { node: { id: string; title: string; kind: string; assignee: { id: string; name: string } } }[] } }
  const TEAM = `query($w: TaskFilter){ tasks(where: $w, first: 200) { totalCount edges { node { id title kind assignee { id name } } } } }`;
  let manager: string;

  it('a manager gives rep1 a task (a past due time refused on its field), and lists the team by assignee and kind (1440 px)', async () => {
    manager = await token(MANAGER, userPassword);
    await page.setViewportSize({ width: 1440, height: 900 });
    await signIn(page, MANAGER, userPassword);
    await page.goto('/tasks');
    await page.getByTestId('tasks-tab-team').waitFor();
    await page.getByTestId('task-new').click();
    const modal = page.locator('.ant-modal').filter({ has: page.getByTestId('task-new-title') });
    await modal.waitFor();
    // Nothing filled: the title is asked for, nothing is sent.
    await page.getByTestId('task-new-ok').click();
    await modal.getByText('请填写待办事项').waitFor();
    await page.getByTestId('task-new-title').fill(HAND_TITLE);
    await page.getByTestId('task-new-description').fill('问一下试驾时间');
    await pick(page, modal.getByTestId('task-new-assignee'), '销售 王磊');
    // rep3 is not offered: not a member of her team.
    await modal.getByTestId('task-new-assignee').click();
    expect(await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').allInnerTexts()).not.toContain('销售 张伟（华南一组）');
    await page.keyboard.press('Escape');
    // A due time in the past: the API refuses it under the field.
    const due = modal.getByTestId('task-new-due');
    await due.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('2020-01-01 10:00');
    await page.keyboard.press('Enter');
    await page.getByTestId('task-new-ok').click();
    await formItem(modal, '截止时间').getByText('the due time has passed').waitFor();
    expect((await gql<TeamTasks>(manager, TEAM, { w: { assigneeID: repID } })).tasks.edges.some((e) => e.node.title === HAND_TITLE)).toBe(false);
    await due.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type(`${DUE_DAY} 10:00`);
    await page.keyboard.press('Enter');
    await shot(page, 'tasks-new-1440');
    await page.getByTestId('task-new-ok').click();
    await page.locator('.ant-message-notice').filter({ hasText: `已创建任务「${HAND_TITLE}」` }).waitFor();
    await page.getByTestId('task-new-title').waitFor({ state: 'detached' });

    // The API: rep1's TASK, due then, and rep1 was told.
    const mine = (await gql<{ myTasks: { edges: { node: { title: string; kind: string; dueAt: string; description: string } }[] } }>(rep,
      `{ myTasks(status: OPEN, kind: TASK, first: 500) { edges { node { title kind dueAt description } } } }`)).myTasks.edges.map((e) => e.node);
    const made = mine.find((n) => n.title === HAND_TITLE);
    expect(made).toMatchObject({ kind: 'TASK', description: '问一下试驾时间' });
    expect(new Date(made!.dueAt).toISOString()).toBe(`${DUE_DAY}T02:00:00.000Z`); // 10:00 in Asia/Shanghai
    const notes = await gql<{ notifications: { kind: string; message: string }[] }>(rep, `{ notifications(first: 20) { kind message } }`);
    expect(notes.notifications.find((n) => n.kind === 'task.assigned')?.message).toContain(`「${HAND_TITLE}」`);

    // 团队: the manager's team's tasks, filtered by assignee and kind.
    await page.getByTestId('tasks-tab-team').click();
    await page.waitForURL('**/tasks?tab=team');
    const team = page.getByTestId('team-tasks');
    await team.waitFor();
    await pick(page, page.getByTestId('team-filter-assignee'), '销售 王磊', true);
    const rep1Open = (await gql<TeamTasks>(manager, TEAM, { w: { assigneeID: repID } })).tasks.totalCount;
    await expect.poll(async () => (await page.getByTestId('team-tasks-total').innerText()).replace(/[^\d]/g, '')).toBe(String(rep1Open));
    const titles = () => page.getByTestId('team-task-title').allInnerTexts();
    let found = false;
    for (let i = 0; i < 20 && !found; i++) {
      found = (await titles()).includes(HAND_TITLE);
      if (!found) {
        const next = page.locator('[data-testid=team-tasks] button[aria-label="下一页"]');
        if (await next.isDisabled()) break;
        await next.click();
        await page.waitForTimeout(300);
      }
    }
    expect(found, 'the new task is in the team list').toBe(true);
    expect(new Set(await page.getByTestId('team-task-assignee').allInnerTexts())).toEqual(new Set(['销售 王磊']));
    await shot(page, 'tasks-team-1440');
    await pick(page, page.getByTestId('team-filter-kind'), '跟进承诺');
    const followUps = (await gql<TeamTasks>(manager, TEAM, { w: { assigneeID: repID, kind: 'FOLLOW_UP' } })).tasks.totalCount;
    await expect.poll(async () => (await page.getByTestId('team-tasks-total').innerText()).replace(/[^\d]/g, '')).toBe(String(followUps));
    expect(await titles()).not.toContain(HAND_TITLE);
    // rep3's tasks are not the manager's to see: the API refuses nothing but lists none.
    const rep3 = await token('rep3@demo.scrm.dev', userPassword);
    const rep3ID = (await gql<{ me: { id: string } }>(rep3, `{ me { id } }`)).me.id;
    expect((await gql<TeamTasks>(manager, TEAM, { w: { assigneeID: rep3ID, anyStatus: true } })).tasks.totalCount).toBe(0);
    expect(b.errors).toEqual([]);
  });

  it('a rep has no 团队 tab, makes tasks only for itself, and makes one from a lead page', async () => {
    await signIn(page, REP, userPassword);
    await page.goto('/tasks');
    await page.getByTestId('task-new').waitFor();
    expect(await page.getByTestId('tasks-tab-team').count()).toBe(0);
    await page.getByTestId('task-new').click();
    await page.locator('.ant-modal').filter({ has: page.getByTestId('task-new-title') }).waitFor();
    expect(await page.getByTestId('task-new-assignee').count()).toBe(0);
    await page.locator('.ant-modal').getByRole('button', { name: /取\s*消/ }).click();
    // The API refuses the team list.
    await expect(gql(rep, `{ tasks { totalCount } }`)).rejects.toThrow(/forbidden|task manage/i);

    await page.goto(`/leads/${leadA}`);
    await page.getByTestId('lead-new-task').click();
    const modal = page.locator('.ant-modal').filter({ has: page.getByTestId('task-new-title') });
    await modal.waitFor();
    expect(await modal.locator('.ant-modal-title').innerText()).toMatch(/^为「.+」新建任务$/);
    await page.getByTestId('task-new-title').fill(LEAD_TITLE);
    await page.getByTestId('task-new-ok').click();
    await page.locator('.ant-message-notice').filter({ hasText: `已创建任务「${LEAD_TITLE}」` }).waitFor();
    const onLead = await gql<{ myTasks: { edges: { node: { title: string; lead: { id: string } | null } }[] } }>(rep,
      `query($l: ID!){ myTasks(leadID: $l, first: 100) { edges { node { title lead { id } } } } }`, { l: leadA });
    expect(onLead.myTasks.edges.map((e) => e.node)).toContainEqual({ title: LEAD_TITLE, lead: { id: leadA } });
    expect(b.errors).toEqual([]);
  });

  it('on a phone the form and the team tab fit (390 px)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, MANAGER, userPassword);
    await page.goto('/tasks?tab=team');
    await page.getByTestId('team-task-card').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'tasks-team-390');
    await page.getByTestId('task-new').click();
    const modal = page.locator('.ant-modal').filter({ has: page.getByTestId('task-new-title') });
    await modal.waitFor();
    await page.getByTestId('task-new-title').fill(PHONE_TITLE);
    await pick(page, modal.getByTestId('task-new-assignee'), '销售 李娜');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'tasks-new-390');
    await page.getByTestId('task-new-ok').click();
    await page.locator('.ant-message-notice').filter({ hasText: `已创建任务「${PHONE_TITLE}」` }).waitFor();
    const rep2 = await token('rep2@demo.scrm.dev', userPassword);
    const theirs = await gql<{ myTasks: { edges: { node: { title: string } }[] } }>(rep2, `{ myTasks(kind: TASK, first: 500) { edges { node { title } } } }`);
    expect(theirs.myTasks.edges.map((e) => e.node.title)).toContain(PHONE_TITLE);
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });
});
