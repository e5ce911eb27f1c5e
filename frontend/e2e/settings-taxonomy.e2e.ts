// Renaming, moving and deleting tags, tag groups and territories in the
// settings pages (scripts/e2e.sh runs this against `scrm serve` with the
// demo workspace). At 1440 px the admin renames and recolours a tag, moves
// it out of its group, tries to delete a tag a segment uses and reads the
// refusal in Chinese (分群「…」), deletes an unused tag, makes a group
// exclusive and renames it, and deletes a group. At 390 px the admin
// renames a territory and moves it to the root, tries to delete a
// territory that still has one below it (1 个下级区域), and deletes one
// that nothing holds. Every step is checked against the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, formItem, gql, launch, pick, shot, signIn, token, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;

const STAMP = String(Date.now() % 100000);
const GROUP = `意向 ${STAMP}`;
const USED = `高意向 ${STAMP}`;
const FREE = `低意向 ${STAMP}`;
const MOVED = `待跟进 ${STAMP}`;
const SEGMENT = `高意向客户 ${STAMP}`;
const EMPTY_GROUP = `临时组 ${STAMP}`;
const ROOT = `华东 ${STAMP}`;
const CITY = `上海 ${STAMP}`;
const DISTRICT = `浦东 ${STAMP}`;

interface TagRow { id: string; name: string; color: string; group: { id: string; name: string } | null }
interface GroupRow { id: string; name: string; exclusive: boolean }
const tagsNow = async () => (await gql<{ tags: TagRow[] }>(admin, `{ tags { id name color group { id name } } }`)).tags;
const groupsNow = async () => (await gql<{ tagGroups: GroupRow[] }>(admin, `{ tagGroups { id name exclusive } }`)).tagGroups;
interface TerritoryRow { id: string; name: string; parent: { id: string } | null }
const territoriesNow = async () => (await gql<{ territories: TerritoryRow[] }>(admin, `{ territories { id name parent { id } } }`)).territories;

const toast = (p: Page, text: string) => p.locator('.ant-message-notice').filter({ hasText: text }).last().waitFor();
const dialog = (p: Page) => p.locator('.ant-modal:visible').last();
// antd spaces out a two-character Chinese button label (关 闭): the button is found by place.
const closeRefusal = (p: Page) => p.locator('.ant-modal-confirm .ant-modal-confirm-btns .ant-btn').click();
const popconfirmOK = (p: Page, testid: string) => p.locator(`.ant-popover:not(.ant-popover-hidden) [data-testid=${testid}]`).click();

beforeAll(async () => {
  b = await launch();
  page = b.page;
  admin = await token(ADMIN.email, ADMIN.password);
  const g = await gql<{ createTagGroup: { id: string; tags: { id: string; name: string }[] } }>(admin,
    `mutation($n:String!, $t:[String!]){ createTagGroup(input:{name:$n, tags:$t}){ id tags { id name } } }`, { n: GROUP, t: [USED, FREE, MOVED] });
  const used = g.createTagGroup.tags.find((x) => x.name === USED)!.id;
  await gql(admin, `mutation($n:String!, $t:ID!){ createSegment(input:{name:$n, rule:{tag:{any:[$t]}}}){ id } }`, { n: SEGMENT, t: used });
  await gql(admin, `mutation($n:String!){ createTagGroup(input:{name:$n}){ id } }`, { n: EMPTY_GROUP });
  const r = await gql<{ createTerritory: { id: string } }>(admin, `mutation($n:String!){ createTerritory(input:{name:$n}){ id } }`, { n: ROOT });
  const c = await gql<{ createTerritory: { id: string } }>(admin, `mutation($n:String!, $p:ID!){ createTerritory(input:{name:$n, parentID:$p}){ id } }`, { n: CITY, p: r.createTerritory.id });
  await gql(admin, `mutation($n:String!, $p:ID!){ createTerritory(input:{name:$n, parentID:$p}){ id } }`, { n: DISTRICT, p: c.createTerritory.id });
  await signIn(page, ADMIN.email, ADMIN.password);
}, 120_000);

afterAll(async () => {
  await b?.close();
});

describe('tags settings at 1440 px', () => {
  it('renames, recolours and moves a tag out of its group', async () => {
    await page.goto('/settings/tags');
    await page.getByTestId(`tag-chip-${MOVED}`).click();
    const d = dialog(page);
    await d.getByTestId('tag-name').fill(`${MOVED} 改`);
    await pick(page, formItem(d, '颜色'), 'green');
    await formItem(d, '标签组').locator('.ant-select').hover();
    await formItem(d, '标签组').locator('.ant-select-clear').click();
    await shot(page, 'taxonomy-tag-edit', { fullPage: false });
    await d.getByTestId('tag-save').click();
    await d.waitFor({ state: 'hidden' });
    await expect.poll(async () => (await tagsNow()).find((x) => x.name === `${MOVED} 改`)).toMatchObject({ color: 'green', group: null });
    await page.getByTestId(`tag-chip-${MOVED} 改`).waitFor();
  });

  it('refuses to delete a tag a segment uses, saying where in Chinese', async () => {
    await page.getByTestId(`tag-chip-${USED}`).click();
    await dialog(page).getByTestId('tag-delete').click();
    await popconfirmOK(page, 'tag-delete-ok');
    const refusal = page.getByTestId('refusal');
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain(`分群「${SEGMENT}」`);
    expect(await refusal.innerText()).toContain('正在被使用');
    await shot(page, 'taxonomy-tag-refused', { fullPage: false });
    await closeRefusal(page);
    await dialog(page).locator('.ant-modal-close').click();
    expect((await tagsNow()).some((x) => x.name === USED)).toBe(true);
  });

  it('deletes an unused tag', async () => {
    await page.getByTestId(`tag-chip-${FREE}`).click();
    await dialog(page).getByTestId('tag-delete').click();
    await popconfirmOK(page, 'tag-delete-ok');
    await toast(page, `已删除「${FREE}」`);
    expect((await tagsNow()).some((x) => x.name === FREE)).toBe(false);
    await expect(page.getByTestId(`tag-chip-${FREE}`).count()).resolves.toBe(0);
  });

  it('renames a group and makes it exclusive', async () => {
    const card = page.getByTestId(`tag-group-${GROUP}`);
    await card.getByTestId('tag-group-edit').click();
    const d = dialog(page);
    await formItem(d, '组名').locator('input').fill(`${GROUP} 新`);
    await d.getByTestId('tag-group-exclusive').check();
    await d.getByTestId('tag-group-save').click();
    await d.waitFor({ state: 'hidden' });
    await expect.poll(async () => (await groupsNow()).find((x) => x.name === `${GROUP} 新`)?.exclusive).toBe(true);
    await page.getByTestId(`tag-group-${GROUP} 新`).getByText('互斥').waitFor();
  });

  it('refuses to delete a group whose tag a segment uses, and deletes an empty one', async () => {
    await page.getByTestId(`tag-group-${GROUP} 新`).getByTestId('tag-group-delete').click();
    await popconfirmOK(page, 'tag-group-delete-ok');
    const refusal = page.getByTestId('refusal');
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain(`分群「${SEGMENT}」（标签「${USED}」）`);
    await closeRefusal(page);
    await page.getByTestId(`tag-group-${EMPTY_GROUP}`).getByTestId('tag-group-delete').click();
    await popconfirmOK(page, 'tag-group-delete-ok');
    await toast(page, `已删除「${EMPTY_GROUP}」`);
    const names = (await groupsNow()).map((x) => x.name);
    expect(names).toContain(`${GROUP} 新`);
    expect(names).not.toContain(EMPTY_GROUP);
    await shot(page, 'taxonomy-tags');
    expect(b.errors).toEqual([]);
  });
});

describe('territories settings at 390 px', () => {
  it('renames a territory and moves it to the root', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/settings/territories');
    await page.getByTestId(`territory-${CITY}`).getByTestId('territory-edit').click();
    const d = dialog(page);
    await d.getByTestId('territory-name').fill(`${CITY}市`);
    await formItem(d, '上级区域').locator('.ant-select').hover();
    await formItem(d, '上级区域').locator('.ant-select-clear').click();
    await shot(page, 'taxonomy-territory-edit-390', { fullPage: false });
    await d.getByTestId('territory-save').click();
    await d.waitFor({ state: 'hidden' });
    await expect.poll(async () => {
      const c = (await territoriesNow()).find((x) => x.name === `${CITY}市`);
      return c ? c.parent : 'not renamed';
    }).toBeNull();
    const all = await territoriesNow();
    const city = all.find((x) => x.name === `${CITY}市`);
    expect(city?.parent).toBeNull();
    // 浦东 moved with it.
    expect(all.find((x) => x.name === DISTRICT)?.parent?.id).toBe(city?.id);
  });

  it('refuses to delete a territory with one below it, and deletes a leaf', async () => {
    await page.getByTestId(`territory-${CITY}市`).getByTestId('territory-delete').click();
    await popconfirmOK(page, 'territory-delete-ok');
    const refusal = page.getByTestId('refusal');
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain('1 个下级区域');
    await shot(page, 'taxonomy-territory-refused-390', { fullPage: false });
    await closeRefusal(page);
    await page.getByTestId(`territory-${ROOT}`).getByTestId('territory-delete').click();
    await popconfirmOK(page, 'territory-delete-ok');
    await toast(page, `已删除区域「${ROOT}」`);
    const names = (await territoriesNow()).map((x) => x.name);
    expect(names).not.toContain(ROOT);
    expect(names).toContain(`${CITY}市`);
    expect(b.errors).toEqual([]);
  });
});
