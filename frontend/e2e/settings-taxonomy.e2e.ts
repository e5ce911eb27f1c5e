// Renaming, moving and deleting tags, tag groups and territories in the
// settings pages (scripts/e2e.sh runs this against `scrm serve` with the
// demo workspace). At 1440 px the admin renames and recolours a tag, moves
// it out of its group, tries to delete a tag a segment uses and reads the
// refusal in Chinese (分群「…」), deletes an unused tag, makes a group
// exclusive and renames it, and deletes a group. At 390 px the admin
// renames a territory and moves it to the root, tries to delete a
// territory that still has one below it (1 个下级区域), and deletes one
// that nothing holds. Every step is checked against the API.
// WeCom corp tags (1440 px): the wecom channel is pointed (baseUrl) at a
// fake WeCom this test runs on loopback (gettoken, get_corp_tag_list,
// add_corp_tag, edit_corp_tag, del_corp_tag, batch/get_by_user); after the
// contacts sync links its group, the page marks it 企业微信, the tag's
// dialog says renames and deletes go to WeCom and does not offer a move; a
// rename and a delete reach the fake.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  await new Promise((r) => (fake ? fake.close(r) : r(undefined)));
});

// The fake WeCom's corp tag library (group id -> name and tags), and the
// calls it got.
const WG = `企微等级 ${STAMP}`;
const WVIP = `企微VIP ${STAMP}`;
const WPLAIN = `企微普通 ${STAMP}`;
const library: { id: string; name: string; tags: { id: string; name: string }[] }[] = [
  { id: `wg-${STAMP}`, name: WG, tags: [{ id: `wt1-${STAMP}`, name: WVIP }, { id: `wt2-${STAMP}`, name: WPLAIN }] },
];
const wecomCalls: { path: string; body: Record<string, unknown> }[] = [];
let fake: Server | undefined;
async function startFakeWeCom(): Promise<string> {
  const TOKEN = `e2e-tax-token-${STAMP}`;
  let seq = 0;
  fake = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString();
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      wecomCalls.push({ path: url.pathname, body });
      res.setHeader('Content-Type', 'application/json');
      const answer = (v: Record<string, unknown>) => res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', ...v }));
      if (url.pathname === '/cgi-bin/gettoken') return answer({ access_token: TOKEN, expires_in: 7200 });
      if (url.searchParams.get('access_token') !== TOKEN) return res.end(JSON.stringify({ errcode: 40014, errmsg: 'invalid access_token' }));
      switch (url.pathname) {
        case '/cgi-bin/externalcontact/get_corp_tag_list':
          return answer({ tag_group: library.map((g, i) => ({ group_id: g.id, group_name: g.name, create_time: 1, order: i, deleted: false,
            tag: g.tags.map((x, j) => ({ id: x.id, name: x.name, create_time: 1, order: j, deleted: false })) })) });
        case '/cgi-bin/externalcontact/add_corp_tag': {
          let g = library.find((x) => x.id === body.group_id || (!body.group_id && x.name === body.group_name));
          if (!g) library.push((g = { id: `wg-new-${++seq}`, name: String(body.group_name), tags: [] }));
          const made = ((body.tag as { name: string }[]) ?? []).map((x) => ({ id: `wt-new-${++seq}`, name: x.name }));
          g.tags.push(...made);
          return answer({ tag_group: { group_id: g.id, group_name: g.name, create_time: 1, order: 1, tag: made.map((x) => ({ ...x, create_time: 1, order: 1 })) } });
        }
        case '/cgi-bin/externalcontact/edit_corp_tag': {
          const g = library.find((x) => x.id === body.id);
          const x = library.flatMap((y) => y.tags).find((y) => y.id === body.id);
          if (!g && !x) return res.end(JSON.stringify({ errcode: 40068, errmsg: 'invalid tagid' }));
          (g ?? x)!.name = String(body.name);
          return answer({});
        }
        case '/cgi-bin/externalcontact/del_corp_tag': {
          const ids = [...((body.tag_id as string[]) ?? []), ...((body.group_id as string[]) ?? [])];
          for (const g of library) g.tags = g.tags.filter((x) => !ids.includes(x.id));
          library.splice(0, library.length, ...library.filter((g) => !ids.includes(g.id) && g.tags.length > 0));
          return answer({});
        }
        case '/cgi-bin/externalcontact/batch/get_by_user':
          return answer({ external_contact_list: [], next_cursor: '' });
        default:
          return res.end(JSON.stringify({ errcode: 60011, errmsg: `the e2e fake has no ${url.pathname}` }));
      }
    });
  });
  await new Promise<void>((r) => fake!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(fake!.address() as AddressInfo).port}`;
}

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
    // The toast comes with the answer; the chip goes when the list is read again.
    await expect.poll(() => page.getByTestId(`tag-chip-${FREE}`).count()).toBe(0);
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

describe('WeCom corp tags at 1440 px', () => {
  it('marks the linked group, says edits go to WeCom, and sends a rename and a delete there', async () => {
    const baseUrl = await startFakeWeCom();
    await gql(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c) { key } }`, {
      c: { corpId: 'wwe2etax00000001', agentId: 1000002, contactSecret: 'e2e-tax-secret', baseUrl },
    });
    const job = await gql<{ syncWeComContacts: { id: string } }>(admin, `mutation { syncWeComContacts { id } }`);
    await expect.poll(async () => (await gql<{ node: { status: string } }>(admin, `query($id: ID!){ node(id: $id) { ... on Job { status } } }`,
      { id: job.syncWeComContacts.id })).node.status, { timeout: 30_000 }).toBe('SUCCEEDED');
    await page.goto('/settings/tags');
    const card = page.getByTestId(`tag-group-${WG}`);
    await card.getByTestId('tag-group-wecom').waitFor();

    // Rename a corp tag: the dialog says it goes to WeCom; no move is offered.
    await page.getByTestId(`tag-chip-${WVIP}`).click();
    const d = dialog(page);
    expect(await d.getByTestId('tag-wecom-note').innerText()).toContain('改名和删除会同步到企业微信');
    expect(await formItem(d, '标签组').locator('.ant-select-disabled').count()).toBe(1);
    await d.getByTestId('tag-name').fill(`${WVIP} 改`);
    await shot(page, 'taxonomy-wecom-tag-edit', { fullPage: false });
    await d.getByTestId('tag-save').click();
    await toast(page, '已保存，正在同步到企业微信');
    await expect.poll(() => library[0]?.tags.find((x) => x.id === `wt1-${STAMP}`)?.name, { timeout: 15_000 }).toBe(`${WVIP} 改`);
    const edit = wecomCalls.find((c) => c.path === '/cgi-bin/externalcontact/edit_corp_tag');
    expect(edit?.body).toEqual({ id: `wt1-${STAMP}`, name: `${WVIP} 改` });

    // Delete the other: gone from WeCom too.
    await page.getByTestId(`tag-chip-${WPLAIN}`).click();
    await dialog(page).getByTestId('tag-delete').click();
    await popconfirmOK(page, 'tag-delete-ok');
    await toast(page, `已删除「${WPLAIN}」，正在同步到企业微信`);
    await expect.poll(() => library.flatMap((g) => g.tags).some((x) => x.id === `wt2-${STAMP}`), { timeout: 15_000 }).toBe(false);
    expect(wecomCalls.find((c) => c.path === '/cgi-bin/externalcontact/del_corp_tag')?.body).toEqual({ tag_id: [`wt2-${STAMP}`], group_id: [] });
    expect((await tagsNow()).map((x) => x.name)).not.toContain(WPLAIN);
    await shot(page, 'taxonomy-wecom-tags');
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
