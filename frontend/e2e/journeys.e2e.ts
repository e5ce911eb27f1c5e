// SOP journeys (scripts/e2e.sh runs this against `scrm serve` with the demo
// workspace). An admin opens 客户旅程 from the menu and builds a journey:
// trigger 打上标签 (a tag of this test's own group), steps addTags → a
// condition made with the reused segment rule builder (城市 = 上海) →
// createTask for the admin → wait 3 days until 9:30. The builder's own
// check (a condition without a rule) and then the API's refusal (9:30 is not
// HH:MM) are shown on the step that is wrong, and nothing is stored; fixed,
// it saves as a draft and is activated. Leads enrol by hand (the enrol
// dialog) and by the trigger (the tag put on through the API); the server's
// worker runs the steps; the journey page's funnel and step table match the
// API's per-step counts, and the enrolled leads are listed. Pause and resume
// (the API confirms), an edit of the steps makes version 2, 1440 and 390 px,
// then the journey is archived (no running journey is left for the later
// files). A rep has no menu entry and gets the forbidden page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { ADMIN, formItem, gql, launch, pick, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;
let adminName: string;

const stamp = Date.now() % 100000;
const NAME = `e2e 新客培育 ${stamp}`;
const GROUP = `e2e 旅程 ${stamp}`;
const T_TRIGGER = `旅程触发 ${stamp}`;
const T_STEP = `旅程已培育 ${stamp}`;
const TASK = `旅程回访 ${stamp}`;

let triggerTag: string;
let stepTag: string;
let journeyID: string;
interface LeadRow { id: string; name: string; phone: string | null; company: string | null; owner: { name: string } | null }
let shanghai: LeadRow[]; // enrolled by hand: they match the condition
let others: LeadRow[]; // enrolled by the trigger: they do not

interface StepStats { index: number; kind: string; reached: number; completed: number; exited: number; failed: number }
interface JourneyAPI {
  id: string; name: string; status: string; version: number; trigger: unknown; definition: Record<string, Record<string, unknown>>[];
  stats: { enrolled: number; active: number; completed: number; exited: number; failed: number };
  steps: StepStats[];
  enrollments: { totalCount: number; edges: { node: { status: string; lead: { id: string } } }[] };
}
const JOURNEY = `query($id: ID!){ node(id: $id) { ... on Journey { id name status version trigger definition
  stats { enrolled active completed exited failed } steps { index kind reached completed exited failed }
  enrollments(first: 100) { totalCount edges { node { status lead { id } } } } } } }`;
const journey = async () => (await gql<{ node: JourneyAPI }>(admin, JOURNEY, { id: journeyID })).node;
const journeysNamed = async (name: string) =>
  (await gql<{ journeys: { edges: { node: { id: string } }[] } }>(admin, `query($w: JourneyWhereInput){ journeys(first: 10, where: $w) { edges { node { id } } } }`, { w: { name } })).journeys.edges;

const toast = (text: string) => page.locator('.ant-message-notice').filter({ hasText: text }).first().waitFor();
const step = (i: number) => page.locator(`[data-testid=journey-step][data-index="${i}"]`);
const confirm = () => page.getByTestId('journey-action-confirm').filter({ visible: true }).click();
const noSideways = async () => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

async function addStep(kind: string): Promise<Locator> {
  const before = await page.getByTestId('journey-step').count();
  await page.getByTestId('journey-add-step').click();
  await page.getByTestId(`journey-add-${kind}`).click();
  await expect.poll(() => page.getByTestId('journey-step').count()).toBe(before + 1);
  return step(before);
}

beforeAll(async () => {
  b = await launch();
  page = b.page;
  admin = await token(ADMIN.email, ADMIN.password);
  adminName = (await gql<{ me: { name: string } }>(admin, `{ me { name } }`)).me.name;
  const g = await gql<{ createTagGroup: { tags: { id: string; name: string }[] } }>(admin,
    `mutation($i: CreateTagGroupInput!){ createTagGroup(input: $i) { tags { id name } } }`, { i: { name: GROUP, tags: [T_TRIGGER, T_STEP] } });
  triggerTag = g.createTagGroup.tags.find((x) => x.name === T_TRIGGER)!.id;
  stepTag = g.createTagGroup.tags.find((x) => x.name === T_STEP)!.id;
  const leads = async (op: string, n: number) => (await gql<{ leads: { edges: { node: LeadRow }[] } }>(admin,
    `query($w: LeadWhereInput, $n: Int){ leads(first: $n, where: $w) { edges { node { id name phone company owner { name } } } } }`,
    { w: { status: 'ACTIVE', attributes: [{ key: 'city', op, value: 'shanghai' }] }, n })).leads.edges.map((e) => e.node);
  // Demo names repeat: the enrol dialog finds these by their phone.
  shanghai = (await leads('EQ', 20)).filter((l) => l.phone).slice(0, 3);
  others = (await leads('NEQ', 2)).slice(0, 2);
  expect(shanghai).toHaveLength(3);
  expect(others).toHaveLength(2);
});

afterAll(async () => {
  await b?.close();
});

describe('SOP journeys', () => {
  it('builds a journey: the wrong step shows its error and nothing is stored; corrected, it saves as a draft (1440 px)', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByTestId('nav').getByText('客户旅程').click();
    await page.waitForURL('**/journeys');
    await page.getByTestId('journeys-new').click();
    await page.waitForURL('**/journeys/new');

    await page.getByTestId('journey-name').fill(NAME);
    const trigger = page.getByTestId('journey-trigger');
    await pick(page, formItem(trigger, '触发方式'), '打上标签');
    await pick(page, formItem(trigger, '标签'), T_TRIGGER, true);

    // The builder starts with a wait step: removed, the steps are added in order.
    await step(0).getByTestId('step-remove').click();
    await expect.poll(() => page.getByTestId('journey-step').count()).toBe(0);
    const tags = await addStep('addTags');
    await pick(page, formItem(tags, '标签'), T_STEP, true);
    const cond = await addStep('condition');
    const task = await addStep('createTask');
    await task.getByTestId('step-task-title').fill(TASK);
    await task.getByTestId('step-task-description').fill('e2e：确认客户需求');
    await task.getByTestId('step-task-due').fill('24');
    await pick(page, formItem(task, '负责人'), '指定用户');
    await pick(page, formItem(task, '用户'), adminName, true);
    const wait = await addStep('wait');
    await wait.getByTestId('step-wait-days').fill('3');
    await wait.getByTestId('step-wait-at').fill('9:30');
    expect(await page.getByTestId('journey-step').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).toEqual(['addTags', 'condition', 'createTask', 'wait']);

    // The condition has no rule yet: the builder says so on that step, and sends nothing.
    await page.getByTestId('journey-save').click();
    await cond.getByTestId('step-condition-builder-error').waitFor();
    expect(await cond.getByTestId('step-condition-builder-error').innerText()).toBe('请至少添加一个完整的条件');
    expect(await page.locator('[data-testid=journey-step][data-error=true]').evaluateAll((els) => els.map((e) => e.getAttribute('data-index')))).toEqual(['1']);
    expect(await journeysNamed(NAME)).toEqual([]);

    // The condition, with the segment rule builder: 城市 = 上海.
    const builder = cond.getByTestId('step-condition-builder');
    await builder.getByRole('button', { name: '+ 条件', exact: true }).click();
    const rule = builder.locator('.rule').first();
    await pick(page, rule.locator('.rule-fields'), '城市', true);
    await pick(page, rule.locator('.rule-operators'), '等于');
    await pick(page, cond.getByTestId('seg-value-city'), '上海');
    await expect.poll(() => cond.getAttribute('data-error')).toBeNull();
    await shot(page, 'journey-builder-1440');

    // 9:30 is not HH:MM: the API refuses the fourth step, and the error is on that step's field.
    await page.getByTestId('journey-save').click();
    const atError = step(3).getByTestId('step-error-atLocalTime');
    await atError.waitFor();
    expect(await atError.innerText()).toMatch(/HH:MM/);
    expect(await step(3).getByTestId('journey-step-error').innerText()).toContain('此步骤有误');
    expect(await page.locator('[data-testid=journey-step][data-error=true]').evaluateAll((els) => els.map((e) => e.getAttribute('data-index')))).toEqual(['3']);
    expect(await page.getByTestId('journey-save-error').innerText()).toContain('保存失败，已在出错的步骤上标出');
    expect(page.url()).toMatch(/\/journeys\/new$/);
    await shot(page, 'journey-step-error-1440');
    expect(await journeysNamed(NAME)).toEqual([]);

    // Corrected: saved as a draft, version 1.
    await step(3).getByTestId('step-wait-at').fill('09:30');
    await expect.poll(() => step(3).getAttribute('data-error')).toBeNull();
    await page.getByTestId('journey-save').click();
    await page.waitForURL(/\/journeys\/[^/]+$/);
    await toast(`已创建旅程「${NAME}」`);
    journeyID = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    expect(await page.getByTestId('journey-status').innerText()).toBe('草稿');
    expect(await page.getByTestId('journey-version').innerText()).toBe('第 1 版');
    expect(await page.getByTestId('journey-trigger-text').innerText()).toBe(`打上标签：${T_TRIGGER}`);

    const j = await journey();
    expect(j).toMatchObject({ name: NAME, status: 'DRAFT', version: 1 });
    expect(j.trigger).toHaveProperty('tagAdded');
    expect(j.definition.map((s) => Object.keys(s)[0])).toEqual(['addTags', 'condition', 'createTask', 'wait']);
    expect(j.definition[1].condition).toMatchObject({ rule: { attribute: { key: 'city', op: 'EQ', value: 'shanghai' } }, otherwise: 'EXIT' });
    expect(j.definition[2].createTask).toMatchObject({ title: TASK, dueInHours: 24, assignee: 'USER' });
    expect(j.definition[3].wait).toEqual({ days: 3, atLocalTime: '09:30' });
    expect(await journeysNamed(NAME)).toHaveLength(1);
    expect(b.errors).toEqual([]);
  });

  it('activates, enrols leads by hand and by the trigger; the funnel and the enrolled leads match the API', async () => {
    await page.getByTestId('journey-action-activate').click();
    await confirm();
    await expect.poll(() => page.getByTestId('journey-status').innerText()).toBe('运行中');
    expect((await journey()).status).toBe('ACTIVE');

    // By hand: three leads in 上海, found by phone in the enrol dialog.
    await page.getByTestId('journey-enroll').click();
    const modal = page.locator('.ant-modal').filter({ hasText: '将线索加入' });
    await modal.waitFor();
    const select = page.getByTestId('enroll-leads');
    for (const l of shanghai) {
      const label = [l.name, l.phone, l.company, l.owner?.name].filter(Boolean).join(' · ');
      await select.click();
      await page.keyboard.type(l.phone!);
      const options = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option');
      await expect.poll(() => options.count()).toBe(1); // the search has answered: the one lead with that phone
      await options.filter({ hasText: label }).click();
      await page.keyboard.press('Escape');
    }
    await expect.poll(() => modal.locator('.ant-select-selection-item').count()).toBe(3);
    await shot(page, 'journey-enroll-1440');
    await page.getByTestId('enroll-ok').click();
    await toast('已加入 3 条，跳过 0 条');
    expect((await journey()).enrollments.edges.map((e) => e.node.lead.id).sort()).toEqual(shanghai.map((l) => l.id).sort());

    // By the trigger: the tag put on two leads outside 上海.
    await gql(admin, `mutation($l: [ID!]!, $t: [ID!]!){ tagLeads(leadIDs: $l, tagIDs: $t) { affected } }`, { l: others.map((l) => l.id), t: [triggerTag] });

    // The worker runs the steps: addTags for all five, the condition lets the three through, their tasks, then the wait.
    let j = await journey();
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 1000))) {
      j = await journey();
      if (j.stats.enrolled === 5 && j.steps[3]?.reached === 3 && j.steps[1]?.exited === 2 && j.steps[2]?.completed === 3) break;
    }
    expect(j.stats, JSON.stringify({ j, shanghai, others })).toEqual({ enrolled: 5, active: 3, completed: 0, exited: 2, failed: 0 });
    expect(j.steps.map((s) => [s.kind, s.reached, s.completed, s.exited])).toEqual([
      ['addTags', 5, 5, 0], ['condition', 5, 3, 2], ['createTask', 3, 3, 0], ['wait', 3, 0, 0],
    ]);
    const lead = await gql<{ node: { tags: { id: string }[] } }>(admin, `query($id: ID!){ node(id: $id) { ... on Lead { tags { id } } } }`, { id: shanghai[0].id });
    expect(lead.node.tags.map((x) => x.id)).toContain(stepTag);

    // The page (refreshed while the journey runs) shows the same figures.
    await page.reload();
    const funnel = page.getByTestId('journey-funnel');
    await expect.poll(() => funnel.getAttribute('data-values'), { timeout: 20_000 }).toBe(JSON.stringify(j.steps.map((s) => s.reached)));
    await funnel.locator('canvas').waitFor();
    for (const s of j.steps) {
      const row = page.locator(`[data-testid=journey-step-row][data-index="${s.index}"]`);
      for (const k of ['reached', 'completed', 'exited', 'failed'] as const) {
        expect(await row.getByTestId(`step-${k}`).innerText(), `step ${s.index} ${k}`).toBe(String(s[k]));
      }
    }
    for (const k of ['enrolled', 'active', 'completed', 'exited', 'failed'] as const) {
      expect(await page.getByTestId(`journey-stat-${k}`).innerText(), k).toBe(String(j.stats[k]));
    }
    expect(await page.locator('[data-testid=journey-step-row][data-index="2"]').innerText()).toContain(`创建任务「${TASK}」`);

    // The enrolled leads: the five, with their status.
    await expect.poll(() => page.getByTestId('enrollment-row').count()).toBe(5);
    const listed = await page.getByTestId('enrollment-row').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-lead')}:${e.getAttribute('data-status')}`).sort());
    expect(listed).toEqual(j.enrollments.edges.map((e) => `${e.node.lead.id}:${e.node.status}`).sort());
    expect(listed.filter((x) => x.endsWith(':EXITED')).map((x) => x.split(':')[0]).sort()).toEqual(others.map((l) => l.id).sort());
    expect(await page.getByTestId('enrollments-total').innerText()).toBe('共 5 条');
    // Filtered by status: the two who left at the condition.
    await page.getByTestId('enrollments-filter').getByText('已退出').click();
    await expect.poll(() => page.getByTestId('enrollment-row').count()).toBe(2);
    await page.getByTestId('enrollments-filter').getByText('全部').click();
    await expect.poll(() => page.getByTestId('enrollment-row').count()).toBe(5);
    await shot(page, 'journey-page-1440');
    expect(b.errors).toEqual([]);
  });

  it('pauses and resumes (the API confirms), and an edit of the steps makes version 2 and of the trigger none', async () => {
    await page.getByTestId('journey-action-pause').click();
    await expect.poll(() => page.getByTestId('journey-status').innerText()).toBe('已暂停');
    expect((await journey()).status).toBe('PAUSED');
    await page.getByTestId('journey-action-resume').click();
    await expect.poll(() => page.getByTestId('journey-status').innerText()).toBe('运行中');
    expect((await journey()).status).toBe('ACTIVE');

    await page.getByTestId('journey-edit').click();
    await page.waitForURL(/\/journeys\/[^/]+\/edit$/);
    await step(3).waitFor();
    expect(await page.getByTestId('journey-version-note').innerText()).toContain('会生成第 2 版');
    // The saved journey is back in the builder: the trigger, the rule, the task's user.
    expect(await page.getByTestId('journey-trigger').innerText()).toContain(T_TRIGGER);
    // The trigger can change (it enrols from then on; the page says so).
    await page.getByTestId('journey-trigger-edit-hint').waitFor();
    await pick(page, page.getByTestId('journey-trigger-kind'), '发生行为事件');
    await page.getByTestId('journey-trigger-value').fill('e2e_viewed_price');
    expect(await step(1).locator('.rule-fields').innerText()).toContain('城市');
    expect(await step(2).innerText()).toContain(adminName);
    await step(3).getByTestId('step-wait-days').fill('2');
    await page.getByTestId('journey-save').click();
    await page.waitForURL(/\/journeys\/[^/]+$/);
    await toast('已保存为第 2 版');
    await expect.poll(() => page.getByTestId('journey-version').innerText()).toBe('第 2 版');
    const j = await journey();
    expect(j.version).toBe(2);
    expect(j.definition[3].wait).toEqual({ days: 2, atLocalTime: '09:30' });
    expect(j.trigger).toEqual({ event: { name: 'e2e_viewed_price' } });
    expect(j.stats.enrolled).toBe(5); // enrolled leads stay, on the version they entered
    expect(b.errors).toEqual([]);
  });

  it('fits a phone (390 px): the journey page, the list and the builder', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`/journeys/${journeyID}`);
    await page.getByTestId('journey-funnel').locator('canvas').waitFor();
    await expect.poll(() => page.getByTestId('enrollment-row').count()).toBe(5);
    await noSideways();
    await shot(page, 'journey-page-390');
    await page.goto('/journeys');
    await page.locator(`[data-testid=journey-row][data-journey="${journeyID}"]`).waitFor();
    await noSideways();
    await page.goto(`/journeys/${journeyID}/edit`);
    await step(3).waitFor();
    await noSideways();
    await shot(page, 'journey-builder-390');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });

  it('lists the journey and archives it from the list (no running journey is left)', async () => {
    await page.goto('/journeys');
    const row = page.locator(`[data-testid=journey-row][data-journey="${journeyID}"]`);
    await row.waitFor();
    expect(await row.getByTestId('journey-row-status').innerText()).toBe('运行中');
    expect(await row.innerText()).toContain('第 2 版');
    await shot(page, 'journeys-list-1440');
    await row.getByTestId('journey-action-archive').click();
    await confirm();
    await expect.poll(() => row.getByTestId('journey-row-status').innerText()).toBe('已归档');
    const j = await journey();
    expect(j.status).toBe('ARCHIVED');
    expect(j.stats.active).toBe(0);
    expect(await row.getByTestId('journey-action-archive').count()).toBe(0);
    expect(b.errors).toEqual([]);
  });

  it('is not offered to a rep (no journey permissions)', async () => {
    await signIn(page, 'rep1@demo.scrm.dev', userPassword);
    expect(await page.getByTestId('nav').innerText()).not.toContain('客户旅程');
    await page.goto('/journeys');
    await page.getByText('你的角色无权打开此页面。').waitFor();
    await page.goto(`/journeys/${journeyID}`);
    await page.getByText('你的角色无权打开此页面。').waitFor();
    expect(b.errors).toEqual([]);
  });
});
