// The WeCom chat sidebar (/wecom/sidebar) at 390 px, outside WeCom: the
// customer comes from ?externalUserId= (inside WeCom the JS-SDK gives it).
// The wecom channel points (baseUrl) at a fake WeCom this test runs on
// loopback (gettoken, externalcontact/get); rep1 is linked to its member.
// A customer with no lead says so and 创建线索 makes it (the server fetches
// the customer from the fake: name, remark mobile); the lead then shows its
// phone, owner, stage and score; rep1 adds a follow-up (最近跟进 changes),
// adds a tag, a follow-up, moves the stage and takes the tag off, each
// checked through the API.
// rep2, who does not see rep1's lead, is told it is out of scope. The
// OAuth2 redirect's fragment signs a browser in (#token=, taken off the
// address bar), and a refused sign-in (#error=CODE) is said in Chinese.
// Inside WeCom (its user agent; WeCom's OAuth2 page and JS-SDK faked in the
// browser) a session that ends while the sidebar is open signs in again
// through WeCom, not with the password; refused again at once, the page
// stops and says so instead of going round in a loop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { ADMIN, gql, launch, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;
let rep1: string;
let rep1ID: string;

const stamp = Date.now() % 1_000_000;
const MEMBER = `e2e-sb-${stamp}`;
const CUSTOMER = `wmSidebar${stamp}`;
const NAME = `侧边栏客户${stamp}`;
const CORP = 'wwe2e0000000000003';
const FAKE_TOKEN = `e2e-sb-token-${stamp}`;
let fake: Server;
// The OAuth codes the fake's authorize page handed out and getuserinfo has not taken yet.
const codes = new Set<string>();
let authorizations = 0;
let fakeURL = '';

interface LeadView { id: string; name: string; phone: string; lastFollowUpAt: string | null; stage: { id: string; name: string }; tags: { id: string; name: string }[]; owner: { id: string } | null }
const leadOf = async (): Promise<LeadView | null> =>
  (await gql<{ weComCustomer: { lead: LeadView | null } }>(rep1, `query($x: String!){ weComCustomer(externalUserID: $x){ lead { id name phone lastFollowUpAt stage { id name } tags { id name } owner { id } } } }`, { x: CUSTOMER })).weComCustomer.lead;

beforeAll(async () => {
  b = await launch();
  page = b.page;
  await page.setViewportSize({ width: 390, height: 844 });
  admin = await token(ADMIN.email, ADMIN.password);
  rep1 = await token('rep1@demo.scrm.dev', userPassword);
  rep1ID = (await gql<{ me: { id: string } }>(rep1, `{ me { id } }`)).me.id;

  fake = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    res.setHeader('Content-Type', 'application/json');
    if (url.pathname === '/cgi-bin/gettoken') {
      return void res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', access_token: FAKE_TOKEN, expires_in: 7200 }));
    }
    if (url.searchParams.get('access_token') !== FAKE_TOKEN) return void res.end(JSON.stringify({ errcode: 40014, errmsg: 'invalid access_token' }));
    if (url.pathname === '/cgi-bin/externalcontact/get' && url.searchParams.get('external_userid') === CUSTOMER) {
      return void res.end(JSON.stringify({
        errcode: 0, errmsg: 'ok',
        external_contact: { external_userid: CUSTOMER, name: NAME, type: 1, gender: 1, unionid: '', corp_name: '' },
        follow_user: [{ userid: MEMBER, remark: '', description: '', createtime: 1767225600, tags: [], remark_mobiles: ['13700137000'], add_way: 1, state: '' }],
      }));
    }
    if (url.pathname === '/cgi-bin/auth/getuserinfo') {
      const code = url.searchParams.get('code') ?? '';
      if (!codes.delete(code)) return void res.end(JSON.stringify({ errcode: 40029, errmsg: 'invalid code' }));
      return void res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', userid: MEMBER, user_ticket: '', expires_in: 1800 }));
    }
    if (url.pathname === '/cgi-bin/get_jsapi_ticket' || url.pathname === '/cgi-bin/ticket/get') {
      return void res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', ticket: `e2e-ticket-${stamp}`, expires_in: 7200 }));
    }
    if (url.pathname === '/cgi-bin/externalcontact/get') return void res.end(JSON.stringify({ errcode: 84061, errmsg: 'not external contact' }));
    res.end(JSON.stringify({ errcode: 60011, errmsg: `the e2e fake has no ${url.pathname}` }));
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  fakeURL = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  await gql(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, {
    c: { corpId: CORP, corpSecret: 'e2e-app-secret-0001', contactSecret: 'e2e-contact-secret-0001', agentId: 1000002, baseUrl: fakeURL },
  });
  await gql(admin, `mutation($id: ID!, $m: String){ updateUser(id: $id, input: { wecomUserID: $m }) { id } }`, { id: rep1ID, m: MEMBER });
});

afterAll(async () => {
  // wecom.e2e.ts (next) starts from members linked to nobody.
  if (admin && rep1ID) await gql(admin, `mutation($id: ID!){ updateUser(id: $id, input: { wecomUserID: "" }) { id } }`, { id: rep1ID });
  await b?.close();
  await new Promise((r) => fake?.close(r));
});

const sidebar = () => page.getByTestId('wecom-sidebar');
/** Opens the sidebar's select labelled label and clicks the option text (typed first when search). */
async function choose(label: string, text: string, search = false) {
  await page.getByLabel(label).click();
  if (search) await page.keyboard.type(text);
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: text }).first().click();
}
const fitsPhone = async () => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

describe('the WeCom chat sidebar at 390 px', () => {
  it('says a customer has no lead and 创建线索 makes it from WeCom', async () => {
    await signIn(page, 'rep1@demo.scrm.dev', userPassword);
    await page.goto(`/wecom/sidebar?externalUserId=${CUSTOMER}`);
    await sidebar().getByText('该客户还没有线索').waitFor();
    expect(await page.locator('.ant-layout-sider').count()).toBe(0); // no app shell
    await fitsPhone();
    await shot(page, 'wecom-sidebar-unknown-390');
    await sidebar().getByRole('button', { name: '创建线索' }).click();
    const card = page.getByTestId('sidebar-lead');
    await card.getByText(NAME).waitFor();
    expect(await page.getByTestId('sidebar-phone').innerText()).toBe('+8613700137000');
    const lead = await leadOf();
    expect(lead?.owner?.id).toBe(rep1ID);
    expect(await card.getByRole('link', { name: '在完整应用中打开' }).getAttribute('href')).toBe(`/leads/${lead!.id}`);
  });

  it('adds a tag, a follow-up and moves the stage, then takes the tag off', async () => {
    const before = (await leadOf())!;
    expect(before.lastFollowUpAt).toBeNull();
    const card = page.getByTestId('sidebar-lead');
    await card.getByText('暂无').waitFor();

    const tags = (await gql<{ tags: { id: string; name: string }[] }>(rep1, `{ tags { id name } }`)).tags;
    const tag = tags.find((x) => !before.tags.some((y) => y.id === x.id))!;
    await choose('添加标签', tag.name, true);
    await page.getByText('已添加标签').waitFor();
    const tagged = sidebar().locator('.ant-tag').filter({ hasText: tag.name });
    await tagged.waitFor();
    expect((await leadOf())!.tags.map((x) => x.id)).toContain(tag.id);

    await page.getByLabel('内容').fill('企业微信里聊了报价，下周回访');
    await page.getByRole('button', { name: /记录跟进/ }).click();
    await page.getByText('跟进已记录').waitFor();
    await card.getByText('暂无').waitFor({ state: 'detached' });
    expect((await leadOf())!.lastFollowUpAt).not.toBeNull();

    const pipelines = (await gql<{ pipelines: { isDefault: boolean; stages: { id: string; name: string; kind: string }[] }[] }>(rep1, `{ pipelines { isDefault stages(includeArchived: false) { id name kind } } }`)).pipelines;
    const own = pipelines.find((p) => p.stages.some((s) => s.id === before.stage.id))!;
    const next = own.stages.find((s) => s.kind === 'OPEN' && s.id !== before.stage.id)!;
    await choose('推进阶段', next.name);
    await page.getByText('阶段已更新').waitFor();
    await card.locator('.ant-tag').filter({ hasText: next.name }).first().waitFor();
    expect((await leadOf())!.stage.id).toBe(next.id);
    await fitsPhone();
    await page.locator('.ant-message-notice').first().waitFor({ state: 'detached', timeout: 15_000 });
    await shot(page, 'wecom-sidebar-lead-390');

    await tagged.locator('.ant-tag-close-icon').click();
    await page.getByText('已移除标签').waitFor();
    await tagged.waitFor({ state: 'detached' });
    expect((await leadOf())!.tags.map((x) => x.id)).not.toContain(tag.id);
  });

  it('tells a rep who does not see the lead that it is out of scope, and an unknown customer apart', async () => {
    await signIn(page, 'rep2@demo.scrm.dev', userPassword);
    await page.goto(`/wecom/sidebar?externalUserId=${CUSTOMER}`);
    await sidebar().getByText('该客户的线索不在你的可见范围内').waitFor();
    expect(await page.getByTestId('sidebar-lead').count()).toBe(0);
    await shot(page, 'wecom-sidebar-out-of-scope-390');
    await page.goto(`/wecom/sidebar?externalUserId=wmNobody${stamp}`);
    await sidebar().getByText('该客户还没有线索').waitFor();
  });

  it('takes the sign-in token from the fragment, and says a refused sign-in in Chinese', async () => {
    await page.evaluate(() => localStorage.clear());
    await page.goto(`/wecom/sidebar?externalUserId=${CUSTOMER}#token=${encodeURIComponent(rep1)}&workspace=demo`);
    await page.getByTestId('sidebar-lead').getByText(NAME).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await page.goto('/wecom/sidebar#error=WECOM_MEMBER_NOT_LINKED&workspace=demo');
    await page.getByText('企业微信登录失败').waitFor();
    await page.getByText(/你的企业微信账号还没有关联本系统的用户/).waitFor();
    await fitsPhone();
    expect(b.errors).toEqual([]);
  });

  it('inside WeCom, signs in again through WeCom when the session ends, once a minute at most', async () => {
    const workspaceID = (await gql<{ me: { workspace: { id: string } } }>(rep1, `{ me { workspace { id } } }`)).me.workspace.id;
    const wecom = await b.context.newPage();
    wecom.on('pageerror', (e) => b.errors.push(`pageerror at ${wecom.url()}: ${e.message}`));
    await wecom.setViewportSize({ width: 390, height: 844 });
    // WeCom's built-in browser: its user agent, its OAuth2 page (which sends
    // the member straight back with a code, as for a member in the visible
    // range) and its JS-SDK (the chat's customer is CUSTOMER).
    const cdp = await b.context.newCDPSession(wecom);
    await cdp.send('Emulation.setUserAgentOverride', { userAgent: 'Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh' });
    // WeCom's OAuth2 page is played where scrm sends the member to it: the
    // 302 to open.weixin.qq.com becomes WeCom's own redirect back with a code.
    await wecom.route((u) => /^\/v1\/wecom\/[^/]+\/sidebar$/.test(u.pathname), async (route) => {
      const r = await route.fetch({ maxRedirects: 0 });
      const to = new URL(r.headers()['location']);
      expect(to.origin + to.pathname).toBe('https://open.weixin.qq.com/connect/oauth2/authorize');
      expect(to.searchParams.get('appid')).toBe(CORP);
      authorizations++;
      const code = `e2e-code-${stamp}-${authorizations}`;
      codes.add(code);
      const back = new URL(to.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', to.searchParams.get('state')!);
      await route.fulfill({ status: 302, headers: { location: back.toString(), 'set-cookie': r.headers()['set-cookie'] ?? '' } });
    });
    const wx = `window.wx = { config() {}, ready(f) { setTimeout(f, 0); }, error() {},
      agentConfig(c) { setTimeout(() => c.success(), 0); },
      invoke(name, args, cb) { setTimeout(() => cb({ err_msg: name + ':ok', userId: ${JSON.stringify(CUSTOMER)} }), 0); } };`;
    await wecom.route((u) => u.hostname === 'res.wx.qq.com', (route) => route.fulfill({ contentType: 'application/javascript', body: wx }));
    await wecom.route((u) => u.hostname === 'open.work.weixin.qq.com', (route) => route.fulfill({ contentType: 'application/javascript', body: '' }));

    await wecom.goto(`/v1/wecom/${encodeURIComponent(workspaceID)}/sidebar`);
    const card = wecom.getByTestId('sidebar-lead');
    await card.getByText(NAME).waitFor();
    expect(authorizations).toBe(1);
    expect(new URL(wecom.url()).hash).toBe('');

    // The session ends (the server refuses the token) while the sidebar is
    // open; the next request signs in again through WeCom, not the password.
    const follow = async () => {
      await wecom.evaluate(() => localStorage.setItem('scrm.token', 'v1.expired.token'));
      await wecom.getByLabel('内容').fill('会话过期后的跟进');
      await wecom.getByRole('button', { name: /记录跟进/ }).click();
    };
    await follow();
    await expect.poll(() => authorizations).toBe(2);
    await card.getByText(NAME).waitFor();
    expect(await wecom.getByTestId('reauth-password').count()).toBe(0);
    const token = await wecom.evaluate(() => localStorage.getItem('scrm.token'));
    expect(token).not.toBe('v1.expired.token');
    expect((await gql<{ me: { id: string } }>(token!, `{ me { id } }`)).me.id).toBe(rep1ID);

    // Refused again within the minute: no third trip to WeCom, a message instead.
    await follow();
    await wecom.getByText('企业微信自动重新登录没有成功').waitFor();
    expect(authorizations).toBe(2);
    expect(await wecom.getByTestId('reauth-password').count()).toBe(0);
    expect(await wecom.getByRole('link', { name: '重新登录' }).getAttribute('href')).toBe(`/v1/wecom/${encodeURIComponent(workspaceID)}/sidebar`);
    expect(await wecom.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(wecom, 'wecom-sidebar-sign-in-loop-390');
    await wecom.close();
    expect(b.errors).toEqual([]);
  });
});
