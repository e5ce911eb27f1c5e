// Contact-way codes (渠道活码; scripts/e2e.sh runs this against `scrm serve`
// with the demo workspace, which has no WeCom corp configured — no WeCom
// service is ever called). An admin sees the empty list; the create drawer
// checks its own required fields, offers only users linked to a WeCom
// member, shows the API's input errors on the field they name (the welcome
// template, and a member unlinked while the drawer was open, by name) and
// the API's CONFLICT (no corp configured) as an alert. Then the wecom
// channel is pointed (baseUrl) at a fake WeCom this test runs on loopback
// (gettoken, add_contact_way, update_contact_way — refusing one member id
// with 60111 — and del_contact_way), and a code made through the drawer
// is listed with its members, tags, QR image (enlarged on a click) and
// stats. It is edited in the same drawer (name, welcome and tags; WeCom is
// asked only when the name or members change; a refusal is an alert and
// changes nothing; a code made for several keeps several). A manager
// (channel read) sees the list without the create, edit or delete buttons;
// a rep not at all. A one-member code keeps one member; deleting it asks
// first, and it leaves the list and WeCom. Welcome attachments are added,
// checked as the API checks them (a link's URL, an image's *.qpic.cn),
// moved and removed in the drawer, saved without asking WeCom and shown on
// the row. An image is uploaded from the drawer (uploadWeComImage, the fake's
// media/uploadimg): a file of another kind or over 2 MB is refused in the
// page, one that only claims to be a PNG by the API, neither reaching WeCom;
// a PNG fills the image's URL and shows as a thumbnail, and is saved with
// the code. The deleted code is listed under 已删除 and 恢复 makes it again
// in WeCom (add_contact_way with its state and member) — refused with the
// member named while the member is unlinked. At 1440 px and 390 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { ADMIN, formItem, gql, launch, pick, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;

interface User { id: string; name: string; email: string }
let linked: User; // rep1, linked to a WeCom member for the test
let second: User; // rep2, linked for the code with two members
let unlinked: User; // rep3, never linked

// A fake WeCom: gettoken, add_contact_way, update_contact_way, del_contact_way and
// media/uploadimg, as scrm calls them through the channel's baseUrl. update_contact_way
// refuses (60111, as WeCom does for a userid not in the corp) any list of members with
// REFUSED; uploadimg keeps the multipart field media under a *.qpic.cn URL (images), which
// the browser is served from there.
const FAKE_TOKEN = `e2e-token-${Date.now()}`;
const REFUSED = `e2e-refused-${Date.now() % 100000}`;
const calls: { path: string; body: Record<string, unknown> }[] = [];
const configs: string[] = []; // the config_id of each add_contact_way, in order
const bodies = (name: string) => calls.filter((c) => c.path === `/cgi-bin/externalcontact/${name}`).map((c) => c.body);
const images = new Map<string, Buffer>(); // uploadimg's URL -> the image
/** The file field media of a multipart body (null when there is none), as WeCom reads it. */
const mediaPart = (body: Buffer, type: string): Buffer | null => {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
  if (!boundary) return null;
  const sep = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  for (let at = body.indexOf(sep), next; at >= 0; at = next) {
    next = body.indexOf(sep, at + sep.length);
    if (next < 0) break;
    const part = body.subarray(at + sep.length + 2, next - 2);
    const head = part.indexOf('\r\n\r\n');
    if (head >= 0 && /name="media"/.test(part.subarray(0, head).toString())) return part.subarray(head + 4);
  }
  return null;
};
// A QR-like picture (21 × 21 modules with the three finder squares, 4 px each) as a PNG data URL
// under the 1,000 characters scrm keeps of a qr_code, standing in for WeCom's image.
const QR = (() => {
  const N = 21, S = 4, W = (N + 2) * S;
  const dark = (x: number, y: number) => {
    const finder = (fx: number, fy: number) => {
      const dx = x - fx, dy = y - fy;
      if (dx < 0 || dy < 0 || dx > 6 || dy > 6) return null;
      return dx === 0 || dy === 0 || dx === 6 || dy === 6 || (dx >= 2 && dx <= 4 && dy >= 2 && dy <= 4);
    };
    const f = finder(0, 0) ?? finder(14, 0) ?? finder(0, 14);
    if (f !== null) return f;
    if ((x < 8 && y < 8) || (x > 12 && y < 8) || (x < 8 && y > 12)) return false;
    return (x * 7 + y * 13 + x * y) % 3 === 0;
  };
  const raw = Buffer.alloc(W * (W + 1), 255);
  for (let py = 0; py < W; py++) {
    raw[py * (W + 1)] = 0; // filter: none
    for (let px = 0; px < W; px++) {
      const x = Math.floor(px / S) - 1, y = Math.floor(py / S) - 1;
      if (x >= 0 && y >= 0 && x < N && y < N && dark(x, y)) raw[py * (W + 1) + 1 + px] = 0;
    }
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(W, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ]);
  return `data:image/png;base64,${png.toString('base64')}`;
})();
const QR_PNG = Buffer.from(QR.slice(QR.indexOf(',') + 1), 'base64');
const LONG_NAME = '2026 春季展会 · 上海国际车展 E2 馆入口处展位二维码（周末两天）';
let fake: Server;
let fakeURL: string;

beforeAll(async () => {
  b = await launch();
  page = b.page;
  // The browser gets WeCom's images (https://*.qpic.cn: thumbnails of image attachments) from
  // the fake: what uploadimg kept, the QR picture for any other URL a test typed.
  await b.context.route(/^https:\/\/[^/]*\.?qpic\.cn\//, (r) => r.fulfill({ body: images.get(r.request().url()) ?? QR_PNG, contentType: 'image/png' }));
  admin = await token(ADMIN.email, ADMIN.password);
  const users = (await gql<{ users: { edges: { node: User }[] } }>(admin, `{ users(first: 100) { edges { node { id name email } } } }`)).users.edges.map((e) => e.node);
  linked = users.find((u) => u.email === 'rep1@demo.scrm.dev')!;
  second = users.find((u) => u.email === 'rep2@demo.scrm.dev')!;
  unlinked = users.find((u) => u.email === 'rep3@demo.scrm.dev')!;

  fake = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const type = req.headers['content-type'] ?? '';
      const data = Buffer.concat(chunks);
      const raw = type.startsWith('multipart/form-data') ? '' : data.toString();
      calls.push({ path: url.pathname, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} });
      res.setHeader('Content-Type', 'application/json');
      if (url.pathname === '/cgi-bin/gettoken') {
        res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', access_token: FAKE_TOKEN, expires_in: 7200 }));
      } else if (url.searchParams.get('access_token') !== FAKE_TOKEN) {
        res.end(JSON.stringify({ errcode: 40014, errmsg: 'invalid access_token' }));
      } else if (url.pathname === '/cgi-bin/externalcontact/add_contact_way') {
        configs.push(`cfg-${calls.length}`);
        res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', config_id: configs.at(-1), qr_code: QR }));
      } else if (url.pathname === '/cgi-bin/externalcontact/update_contact_way') {
        const body = calls.at(-1)!.body;
        if ((body.user as string[] | undefined)?.includes(REFUSED)) res.end(JSON.stringify({ errcode: 60111, errmsg: `invalid userid ${REFUSED}` }));
        else res.end(JSON.stringify({ errcode: 0, errmsg: 'ok' }));
      } else if (url.pathname === '/cgi-bin/externalcontact/del_contact_way') {
        res.end(JSON.stringify({ errcode: 0, errmsg: 'ok' }));
      } else if (url.pathname === '/cgi-bin/media/uploadimg') {
        const image = mediaPart(data, type);
        if (!image) return void res.end(JSON.stringify({ errcode: 41005, errmsg: 'media data missing' }));
        const at = `https://wework.qpic.cn/wwpic/e2e-${images.size + 1}/0`;
        images.set(at, image);
        res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', url: at }));
      } else {
        res.end(JSON.stringify({ errcode: 40014, errmsg: 'invalid access_token' }));
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

const link = (u: User, wecomUserID: string) =>
  gql(admin, `mutation($id: ID!, $w: String){ updateUser(id: $id, input: { wecomUserID: $w }) { id } }`, { id: u.id, w: wecomUserID });
const drawer = () => page.locator('.scrm-cw-drawer .ant-drawer-section');
const fieldError = (label: string) => formItem(drawer(), label).locator('.ant-form-item-explain-error');
const row = (id: string) => page.locator(`[data-testid=cw-row][data-code="${id}"]`);
/** Takes the chosen option showing text out of the multiple select labelled label. */
const unpick = (label: string, text: string) =>
  formItem(drawer(), label).locator('.ant-select-selection-item').filter({ hasText: text }).locator('.ant-select-selection-item-remove').click();
const toast = (text: string) => page.locator('.ant-message-notice').filter({ hasText: text }).last();

interface APICode { id: string; name: string; state: string; welcomeMessage: string; skipVerify: boolean; users: { id: string }[]; tags: { id: string }[] }
const apiCodes = async () =>
  (await gql<{ contactWays: APICode[] }>(admin, `{ contactWays { id name state welcomeMessage skipVerify users { id } tags { id } } }`)).contactWays;
const EDITED_NAME = '2026 春季展会 · 改到 E3 馆（周末两天，上午九点到下午五点）';

describe('contact-way codes', () => {
  it('lists the codes (none yet) for an admin, at 1440 px and 390 px', async () => {
    const api = await gql<{ contactWays: unknown[] }>(admin, `{ contactWays { id } }`);
    expect(api.contactWays).toEqual([]);
    await signIn(page, ADMIN.email, ADMIN.password);
    expect(await page.getByTestId('nav').innerText()).toContain('渠道活码');
    await page.getByTestId('nav').getByText('渠道活码', { exact: true }).click();
    await page.waitForURL('**/wecom/contact-ways');
    await page.getByTestId('cw-table').getByText('还没有渠道活码').waitFor();
    expect(await page.getByTestId('cw-count').innerText()).toBe('共 0 个');
    // The menu marks the page as the current one.
    expect(await page.getByTestId('nav').locator('.ant-menu-item-selected').innerText()).toContain('渠道活码');
    for (const col of ['名称', '二维码', '成员', '分配方式', '线索来源', '客户标签', '添加', '流失', '新线索', '成交', '欢迎语已发']) {
      expect(await page.getByTestId('cw-table').locator('thead').innerText()).toContain(col);
    }
    await shot(page, 'contact-ways-empty-1440');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByTestId('cw-table').getByText('还没有渠道活码').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'contact-ways-empty-390');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });

  it("creates: its own checks, the API's field errors on their fields, and CONFLICT as an alert", async () => {
    await link(linked, `e2e-${Date.now() % 100000}`);
    await link(unlinked, '');
    await page.reload();
    await page.getByTestId('cw-new').click();
    await drawer().waitFor();
    // Required fields are checked before anything is sent.
    await page.getByTestId('cw-submit').click();
    await fieldError('名称').getByText('请填写名称').waitFor();
    await fieldError('成员').getByText('请至少选择一名成员').waitFor();
    // Skip verify is on by default, the strategy FIXED.
    expect(await page.getByTestId('cw-form-skip').getAttribute('aria-checked')).toBe('true');
    expect(await formItem(drawer(), '分配方式').innerText()).toContain('固定成员');

    // Users without a WeCom member id are offered, but disabled with the reason.
    await formItem(drawer(), '成员').locator('.ant-select').click();
    const dropdown = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)');
    const off = dropdown.locator('.ant-select-item-option').filter({ hasText: unlinked.name });
    await off.waitFor();
    expect(await off.getAttribute('class')).toContain('ant-select-item-option-disabled');
    expect(await off.innerText()).toContain('未关联企业微信成员');
    const on = dropdown.locator('.ant-select-item-option').filter({ hasText: linked.name });
    expect(await on.getAttribute('class')).not.toContain('ant-select-item-option-disabled');
    await page.keyboard.press('Escape');
    await pick(page, formItem(drawer(), '成员'), linked.name);

    await page.getByTestId('cw-form-name').fill('2026 春季展会');
    await pick(page, formItem(drawer(), '分配方式'), '轮流分配');
    await page.getByTestId('cw-form-source').fill('expo-2026');
    // A welcome message that is not a template: the API's error lands on the field.
    await page.getByTestId('cw-form-welcome').fill('您好{{.name');
    await page.getByTestId('cw-submit').click();
    await fieldError('欢迎语').waitFor();
    expect(await fieldError('欢迎语').innerText()).not.toBe('');
    expect(await page.getByTestId('cw-error').count()).toBe(0);

    // Fixed with the name inserted by the button; now the workspace has no WeCom corp: CONFLICT.
    await page.getByTestId('cw-form-welcome').fill('您好');
    await page.getByTestId('cw-insert-name').click();
    expect(await page.getByTestId('cw-form-welcome').inputValue()).toBe('您好{{.name}}');
    await page.getByTestId('cw-form-welcome').type('，欢迎来到展位！');
    await page.getByTestId('cw-submit').click();
    const alert = page.getByTestId('cw-error');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('无法创建活码');
    expect(await page.getByTestId('cw-not-configured').innerText()).toContain('corpId 和 contactSecret');
    expect(await fieldError('欢迎语').count()).toBe(0);
    await shot(page, 'contact-ways-conflict-1440');

    // The member was unlinked while the drawer was open: the API names them on the members field.
    await link(linked, '');
    await page.getByTestId('cw-submit').click();
    await fieldError('成员').waitFor();
    expect(await fieldError('成员').innerText()).toContain(`${linked.name}: `);
    expect(await fieldError('成员').innerText()).toContain('not linked to a WeCom member');
    await shot(page, 'contact-ways-member-error-1440');

    // Nothing was stored.
    expect((await gql<{ contactWays: unknown[] }>(admin, `{ contactWays { id } }`)).contactWays).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  // Here, before any test configures the wecom channel (the specs run in the
  // order of their names; no API unconfigures a channel), the contacts sync
  // (wecom.e2e.ts tests it with a corp) fails without one and says why.
  it('syncs contacts without a WeCom corp: the job ends FAILED and its error is shown', async () => {
    await page.reload();
    await page.getByTestId('wecom-sync').click();
    const error = page.getByTestId('wecom-sync-error');
    await error.waitFor();
    expect(await error.innerText()).toContain('同步失败');
    expect(await page.getByTestId('wecom-sync-not-configured').innerText()).toContain('corpId 和 contactSecret');
    expect(await error.innerText()).toContain('corpId and contactSecret');
    await shot(page, 'wecom-sync-failed-1440');
    await page.getByTestId('wecom-sync-close').click();
    expect(calls).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('creates a code through (a fake) WeCom and lists it with its members, tags, QR image and stats', async () => {
    // The page allows WeCom's QR images (https://*.qpic.cn) besides its own.
    const csp = (await fetch(new URL('/', page.url()))).headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/img-src [^;]*https:\/\/\*\.qpic\.cn/);

    await gql(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c) { key } }`, {
      c: { corpId: 'wwe2e0000000000001', agentId: 1000002, contactSecret: 'e2e-contact-secret', baseUrl: fakeURL },
    });
    await link(linked, `e2e-a-${Date.now() % 100000}`);
    await link(second, `e2e-b-${Date.now() % 100000}`);
    const { tags } = await gql<{ tags: { id: string; name: string }[] }>(admin, `{ tags { id name } }`);
    expect(tags.length).toBeGreaterThan(0);
    expect(QR.length).toBeLessThanOrEqual(1000);

    await page.reload();
    await page.getByTestId('cw-new').click();
    await drawer().waitFor();
    await page.getByTestId('cw-form-name').fill(LONG_NAME);
    await pick(page, formItem(drawer(), '成员'), linked.name);
    await pick(page, formItem(drawer(), '成员'), second.name);
    await pick(page, formItem(drawer(), '分配方式'), '最少负载');
    await page.getByTestId('cw-form-source').fill('expo-2026');
    await pick(page, formItem(drawer(), '客户标签'), tags[0].name);
    await page.getByTestId('cw-insert-name').click();
    await page.getByTestId('cw-form-welcome').type('，欢迎来到展位！');
    await page.getByTestId('cw-form-skip').click(); // off: the member confirms each add
    await page.getByTestId('cw-submit').click();
    await page.locator('.ant-message-notice').filter({ hasText: '已创建' }).waitFor();
    await drawer().waitFor({ state: 'hidden' });

    // What WeCom was asked for: both members, a QR code, the remark cut to 30 characters, a state.
    const add = calls.find((c) => c.path === '/cgi-bin/externalcontact/add_contact_way')!;
    expect(add.body).toMatchObject({ type: 2, scene: 2, skip_verify: false, remark: [...LONG_NAME].slice(0, 30).join('') });
    expect((add.body.user as string[]).length).toBe(2);

    const api = await gql<{ contactWays: { id: string; state: string; strategy: string; source: string; welcomeMessage: string; skipVerify: boolean }[] }>(admin,
      `{ contactWays { id state strategy source welcomeMessage skipVerify } }`);
    expect(api.contactWays).toHaveLength(1);
    expect(api.contactWays[0]).toMatchObject({ strategy: 'LEAST_LOADED', source: 'expo-2026', welcomeMessage: '{{.name}}，欢迎来到展位！', skipVerify: false });
    expect(add.body.state).toBe(api.contactWays[0].state);

    const row = page.locator(`[data-testid=cw-row][data-code="${api.contactWays[0].id}"]`);
    await row.waitFor();
    expect(await page.getByTestId('cw-count').innerText()).toBe('共 1 个');
    const text = await row.innerText();
    for (const s of [linked.name, second.name, '最少负载', 'expo-2026', tags[0].name, api.contactWays[0].state]) expect(text).toContain(s);
    for (const k of ['added', 'lost', 'leadsCreated', 'leadsMerged', 'deals', 'welcomesSent']) expect(await row.getByTestId(`cw-${k}`).innerText()).toBe('0');
    // The QR image is drawn, and a click enlarges it with a link to open it alone.
    const img = row.locator('img');
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    // The drawer's 创建 button sat over the header's user menu: move off it and let the menu close.
    await page.mouse.move(600, 600);
    await page.locator('.ant-dropdown:not(.ant-dropdown-hidden)').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
    await shot(page, 'contact-ways-list-1440');
    await img.click();
    const preview = page.locator('.ant-image-preview');
    await preview.locator('img').waitFor();
    expect(await preview.getByTestId('cw-qr-open').getAttribute('href')).toBe(QR);
    await shot(page, 'contact-ways-qr-1440');
    await page.keyboard.press('Escape');
    await preview.waitFor({ state: 'hidden' });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await row.waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'contact-ways-list-390');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });

  it('edits the code in the same drawer: the API and WeCom get the name, welcome and tags, and the same members', async () => {
    const { tags } = await gql<{ tags: { id: string; name: string }[] }>(admin, `{ tags { id name } }`);
    expect(tags.length).toBeGreaterThan(1);
    const [code] = await apiCodes();
    const add = bodies('add_contact_way')[0];
    await page.reload();
    await row(code.id).getByTestId('cw-edit').click();
    await drawer().waitFor();
    // Prefilled with the code as it is; a code made for two members says it keeps several.
    expect(await page.locator('.scrm-cw-drawer .ant-drawer-title').innerText()).toContain('编辑活码');
    expect(await page.getByTestId('cw-form-name').inputValue()).toBe(LONG_NAME);
    expect(await page.getByTestId('cw-form-source').inputValue()).toBe('expo-2026');
    expect(await page.getByTestId('cw-form-welcome').inputValue()).toBe('{{.name}}，欢迎来到展位！');
    expect(await page.getByTestId('cw-form-skip').getAttribute('aria-checked')).toBe('false');
    for (const s of [linked.name, second.name]) expect(await formItem(drawer(), '成员').innerText()).toContain(s);
    // Tags show by name once the workspace's tags are read (a request of its own).
    await expect.poll(() => formItem(drawer(), '客户标签').innerText()).toContain(tags[0].name);
    expect(await page.getByTestId('cw-members-type').innerText()).toContain('多人活码');
    expect(await page.getByTestId('cw-submit').innerText()).toMatch(/保\s*存/);

    await page.getByTestId('cw-form-name').fill(EDITED_NAME);
    await page.getByTestId('cw-form-welcome').fill('您好{{.name}}，E3 馆见！');
    await unpick('客户标签', tags[0].name);
    await pick(page, formItem(drawer(), '客户标签'), tags[1].name);
    await shot(page, 'contact-ways-edit-1440');
    await page.getByTestId('cw-submit').click();
    await toast('已保存').waitFor();
    await drawer().waitFor({ state: 'hidden' });

    // WeCom got the new remark for the same code (config_id, state), with the same members.
    const updates = bodies('update_contact_way');
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ config_id: configs[0], state: code.state, skip_verify: false, remark: [...EDITED_NAME].slice(0, 30).join('') });
    expect(updates[0].user).toEqual(add.user);
    // The API has every change; only the changed fields moved.
    const [after] = await apiCodes();
    expect(after).toMatchObject({ id: code.id, name: EDITED_NAME, welcomeMessage: '您好{{.name}}，E3 馆见！', skipVerify: false, state: code.state });
    expect(after.tags.map((x) => x.id)).toEqual([tags[1].id]);
    expect(after.users.map((u) => u.id)).toEqual([linked.id, second.id]);
    // The row shows them.
    const text = await row(code.id).innerText();
    expect(text).toContain(tags[1].name);
    expect(text).not.toContain(tags[0].name);
    expect(await row(code.id).getByTestId('cw-name').innerText()).toBe(EDITED_NAME);
    expect(b.errors).toEqual([]);
  });

  it('changes only the welcome message without asking WeCom, and saves nothing when nothing changed', async () => {
    const [code] = await apiCodes();
    const before = bodies('update_contact_way').length;
    await row(code.id).getByTestId('cw-edit').click();
    await drawer().waitFor();
    await page.getByTestId('cw-submit').click();
    await toast('没有修改').waitFor();
    await drawer().waitFor({ state: 'hidden' });

    await row(code.id).getByTestId('cw-edit').click();
    await drawer().waitFor();
    await page.getByTestId('cw-form-welcome').fill('欢迎{{.name}}！');
    await page.getByTestId('cw-submit').click();
    await toast('已保存').waitFor();
    await drawer().waitFor({ state: 'hidden' });
    expect((await apiCodes())[0].welcomeMessage).toBe('欢迎{{.name}}！');
    expect(bodies('update_contact_way')).toHaveLength(before);
    expect(b.errors).toEqual([]);
  });

  it("keeps several members on a code made for several, and shows WeCom's refusal as an alert that changes nothing", async () => {
    const [code] = await apiCodes();
    await link(unlinked, REFUSED);
    const before = bodies('update_contact_way').length;
    await page.reload();
    await row(code.id).getByTestId('cw-edit').click();
    await drawer().waitFor();
    // One member left: the form says so and sends nothing.
    await unpick('成员', second.name);
    await fieldError('成员').getByText('多人活码至少需要两名成员').waitFor();
    await page.getByTestId('cw-submit').click();
    await page.waitForTimeout(300);
    expect(bodies('update_contact_way')).toHaveLength(before);
    // A member WeCom does not know: refused, said above the form.
    await pick(page, formItem(drawer(), '成员'), unlinked.name);
    await fieldError('成员').waitFor({ state: 'detached' });
    await page.getByTestId('cw-form-name').fill('不会保存的名称');
    await page.getByTestId('cw-submit').click();
    const alert = page.getByTestId('cw-error');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('无法保存活码');
    expect(await alert.innerText()).toContain('60111');
    expect(await page.getByTestId('cw-not-configured').count()).toBe(0);
    const refused = bodies('update_contact_way');
    expect(refused).toHaveLength(before + 1);
    expect(refused.at(-1)!.user).toContain(REFUSED);
    await shot(page, 'contact-ways-edit-refused-1440');
    await drawer().getByRole('button', { name: /取\s*消/ }).click();
    await drawer().waitFor({ state: 'hidden' });
    // Nothing changed here.
    const [after] = await apiCodes();
    expect(after.name).toBe(EDITED_NAME);
    expect(after.users.map((u) => u.id)).toEqual([linked.id, second.id]);
    expect(await row(code.id).getByTestId('cw-name').innerText()).toBe(EDITED_NAME);
    expect(b.errors).toEqual([]);
  });

  it('shows a manager the list without the create, edit or delete buttons, and a rep nothing', async () => {
    await signIn(page, 'manager@demo.scrm.dev', userPassword);
    await page.goto('/wecom/contact-ways');
    await page.getByTestId('cw-row').first().waitFor();
    expect(await page.getByTestId('cw-new').count()).toBe(0);
    expect(await page.getByTestId('cw-edit').count()).toBe(0);
    expect(await page.getByTestId('cw-delete').count()).toBe(0);
    expect(await page.getByTestId('cw-table').locator('thead').innerText()).not.toContain('操作');

    await signIn(page, 'rep1@demo.scrm.dev', userPassword);
    expect(await page.getByTestId('nav').innerText()).not.toContain('渠道活码');
    await page.goto('/wecom/contact-ways');
    await page.getByText('你的角色无权打开此页面。').waitFor();
    expect(b.errors).toEqual([]);
  });

  it('keeps a one-member code at one member, and deletes it after asking (at 390 px): gone here and in WeCom', async () => {
    const made = await gql<{ createContactWay: { id: string } }>(admin, `mutation($u: [ID!]!){ createContactWay(input: { name: "单人活码 · 前台", userIDs: $u }) { id } }`, { u: [linked.id] });
    const id = made.createContactWay.id;
    const config = configs.at(-1);
    expect(configs).toHaveLength(2);
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto('/wecom/contact-ways');
    await row(id).waitFor();
    expect(await page.getByTestId('cw-count').innerText()).toBe('共 2 个');

    // The edit drawer says a one-member code keeps one member: no second can be chosen.
    await row(id).getByTestId('cw-edit').click();
    await drawer().waitFor();
    expect(await page.getByTestId('cw-members-type').innerText()).toContain('单人活码');
    await formItem(drawer(), '成员').locator('.ant-select').click();
    const other = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: second.name });
    await other.waitFor();
    expect(await other.getAttribute('class')).toContain('ant-select-item-option-disabled');
    await page.keyboard.press('Escape');
    await shot(page, 'contact-ways-edit-single-1440');
    await drawer().getByRole('button', { name: /取\s*消/ }).click();
    await drawer().waitFor({ state: 'hidden' });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await row(id).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await row(id).getByTestId('cw-delete').scrollIntoViewIfNeeded();
    await row(id).getByTestId('cw-delete').click();
    const body = page.getByTestId('cw-delete-body');
    await body.waitFor();
    expect(await body.innerText()).toContain('二维码立即失效');
    expect(await body.innerText()).toContain('效果数据都会保留');
    expect(await page.locator('.ant-popconfirm').innerText()).toContain('删除活码「单人活码 · 前台」？');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(bodies('del_contact_way')).toHaveLength(0);
    await shot(page, 'contact-ways-delete-390', { fullPage: false });
    await page.getByTestId('cw-delete-ok').click();
    await toast('已删除').waitFor();
    await row(id).waitFor({ state: 'detached' });
    expect(await page.getByTestId('cw-count').innerText()).toBe('共 1 个');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'contact-ways-deleted-390');
    await page.setViewportSize({ width: 1440, height: 900 });

    // Gone from the list and from WeCom; the other code stays.
    const left = await apiCodes();
    expect(left.map((c) => c.id)).not.toContain(id);
    expect(left.map((c) => c.name)).toEqual([EDITED_NAME]);
    expect(bodies('del_contact_way')).toEqual([{ config_id: config }]);
    expect(b.errors).toEqual([]);
  });

  it('adds, checks, orders and removes welcome attachments, saves them without asking WeCom, and shows them on the row', async () => {
    const [code] = await apiCodes();
    const before = bodies('update_contact_way').length;
    await page.reload();
    await row(code.id).getByTestId('cw-edit').click();
    await drawer().waitFor();
    const cards = drawer().getByTestId('cw-form-attachment');
    expect(await cards.count()).toBe(0);
    // A link: title and URL required; a URL that is not absolute is refused before anything is sent.
    await page.getByTestId('cw-attach-add').click();
    await cards.nth(0).getByTestId('cw-attach-title').fill('春季展会活动页');
    await cards.nth(0).getByTestId('cw-attach-url').fill('example.com/spring');
    // An image: only WeCom's uploaded image URL (https, *.qpic.cn).
    await page.getByTestId('cw-attach-add').click();
    await pick(page, cards.nth(1).getByTestId('cw-attach-type'), '图片');
    await cards.nth(1).getByTestId('cw-attach-picURL').fill('https://example.com/poster.png');
    await page.getByTestId('cw-submit').click();
    await formItem(cards.nth(0), '链接地址').locator('.ant-form-item-explain-error').getByText('须为 http(s) 开头的完整地址').waitFor();
    await formItem(cards.nth(1), '图片地址').locator('.ant-form-item-explain-error').getByText('*.qpic.cn').waitFor();
    await cards.nth(1).scrollIntoViewIfNeeded();
    await shot(page, 'contact-ways-attachments-errors-1440', { fullPage: false });
    await cards.nth(0).getByTestId('cw-attach-url').fill('https://example.com/spring');
    await cards.nth(1).getByTestId('cw-attach-picURL').fill('https://wework.qpic.cn/wwpic/e2e/poster.png');
    // A mini-program, then removed; the image moved first.
    await page.getByTestId('cw-attach-add').click();
    await pick(page, cards.nth(2).getByTestId('cw-attach-type'), '小程序');
    await cards.nth(2).getByTestId('cw-attach-appID').fill('wx0123456789ABCDEF');
    await page.getByTestId('cw-submit').click();
    await formItem(cards.nth(2), '小程序 AppID').locator('.ant-form-item-explain-error').getByText('wx 加 16 位十六进制').waitFor();
    await cards.nth(2).getByTestId('cw-attach-remove').click();
    expect(await cards.count()).toBe(2);
    await cards.nth(1).getByTestId('cw-attach-up').click();
    expect(await cards.nth(0).getByTestId('cw-attach-picURL').inputValue()).toBe('https://wework.qpic.cn/wwpic/e2e/poster.png');
    await cards.nth(0).scrollIntoViewIfNeeded();
    await shot(page, 'contact-ways-attachments-1440', { fullPage: false });
    await page.getByTestId('cw-submit').click();
    await toast('已保存').waitFor();
    await drawer().waitFor({ state: 'hidden' });

    // Stored in order, each with its own fields; WeCom's code was not touched.
    const { contactWays } = await gql<{ contactWays: { id: string; welcomeAttachments: Record<string, string | null>[] }[] }>(admin,
      `{ contactWays { id welcomeAttachments { type title url picURL desc appID page picMediaID } } }`);
    expect(contactWays.find((c) => c.id === code.id)!.welcomeAttachments).toEqual([
      { type: 'IMAGE', title: null, url: null, picURL: 'https://wework.qpic.cn/wwpic/e2e/poster.png', desc: null, appID: null, page: null, picMediaID: null },
      { type: 'LINK', title: '春季展会活动页', url: 'https://example.com/spring', picURL: null, desc: null, appID: null, page: null, picMediaID: null },
    ]);
    expect(bodies('update_contact_way')).toHaveLength(before);
    const shown = row(code.id).getByTestId('cw-attachment');
    expect(await shown.count()).toBe(2);
    expect(await shown.nth(0).getAttribute('data-kind')).toBe('IMAGE');
    expect(await shown.nth(0).innerText()).toContain('poster.png');
    expect(await shown.nth(1).innerText()).toContain('春季展会活动页');

    // Reopened, the drawer shows them; removing one saves the other.
    await row(code.id).getByTestId('cw-edit').click();
    await drawer().waitFor();
    expect(await cards.count()).toBe(2);
    expect(await cards.nth(1).getByTestId('cw-attach-title').inputValue()).toBe('春季展会活动页');
    await cards.nth(0).getByTestId('cw-attach-remove').click();
    await page.getByTestId('cw-submit').click();
    await toast('已保存').waitFor();
    await drawer().waitFor({ state: 'hidden' });
    await expect.poll(() => row(code.id).getByTestId('cw-attachment').count()).toBe(1);
    expect(b.errors).toEqual([]);
  });

  it('uploads a welcome image to (a fake) WeCom: other files refused before, the URL filled in and saved (at 1440 px and 390 px)', async () => {
    const [code] = await apiCodes();
    const uploads = () => calls.filter((c) => c.path === '/cgi-bin/media/uploadimg').length;
    await page.reload();
    await row(code.id).getByTestId('cw-edit').click();
    await drawer().waitFor();
    const cards = drawer().getByTestId('cw-form-attachment');
    const before = await cards.count();
    await page.getByTestId('cw-attach-add').click();
    const card = cards.nth(before);
    await pick(page, card.getByTestId('cw-attach-type'), '图片');
    const file = card.locator('input[type=file]');
    const imageError = formItem(card, '图片地址').locator('.ant-form-item-explain-error');

    // Another kind of file, or one over 2 MB, never leaves the page.
    await file.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await imageError.getByText('只能上传 JPG 或 PNG 图片').waitFor();
    await file.setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(2 * 1024 * 1024 + 1) });
    await imageError.getByText('不能超过 2 MB').waitFor();
    // A file that only claims to be a PNG: the API reads it and refuses it on the field.
    await file.setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('GIF89a, named png') });
    await imageError.getByText('must be a JPG or PNG image').waitFor();
    expect(uploads()).toBe(0);
    await card.scrollIntoViewIfNeeded();
    await shot(page, 'contact-ways-upload-refused-1440', { fullPage: false });

    // A PNG goes to WeCom; its URL fills the image, shown as a thumbnail.
    await file.setInputFiles({ name: '展位海报.png', mimeType: 'image/png', buffer: QR_PNG });
    await expect.poll(() => card.getByTestId('cw-attach-picURL').inputValue()).toBe('https://wework.qpic.cn/wwpic/e2e-1/0');
    expect(uploads()).toBe(1);
    expect(images.get('https://wework.qpic.cn/wwpic/e2e-1/0')?.equals(QR_PNG)).toBe(true);
    expect(await imageError.count()).toBe(0);
    const preview = card.locator('img');
    await preview.waitFor();
    await expect.poll(() => preview.evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await shot(page, 'contact-ways-uploaded-1440', { fullPage: false });
    await page.getByTestId('cw-submit').click();
    await toast('已保存').waitFor();
    await drawer().waitFor({ state: 'hidden' });
    const { contactWays } = await gql<{ contactWays: { id: string; welcomeAttachments: { type: string; picURL: string | null }[] }[] }>(admin,
      `{ contactWays { id welcomeAttachments { type picURL } } }`);
    expect(contactWays.find((c) => c.id === code.id)!.welcomeAttachments.at(-1)).toEqual({ type: 'IMAGE', picURL: 'https://wework.qpic.cn/wwpic/e2e-1/0' });
    expect(await row(code.id).getByTestId('cw-attachment').last().getAttribute('data-kind')).toBe('IMAGE');

    // At 390 px: the drawer takes the screen; a new upload replaces the image's URL.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await row(code.id).getByTestId('cw-edit').scrollIntoViewIfNeeded();
    await row(code.id).getByTestId('cw-edit').click();
    await drawer().waitFor();
    const last = cards.last();
    await last.scrollIntoViewIfNeeded();
    expect(await last.getByTestId('cw-attach-picURL').inputValue()).toBe('https://wework.qpic.cn/wwpic/e2e-1/0');
    await last.locator('input[type=file]').setInputFiles({ name: 'poster-2.png', mimeType: 'image/png', buffer: QR_PNG });
    await expect.poll(() => last.getByTestId('cw-attach-picURL').inputValue()).toBe('https://wework.qpic.cn/wwpic/e2e-2/0');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'contact-ways-uploaded-390', { fullPage: false });
    await drawer().getByRole('button', { name: /取\s*消/ }).click();
    await drawer().waitFor({ state: 'hidden' });
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });

  it('lists the deleted code under 已删除 and restores it through WeCom (a member unlinked meanwhile is named first)', async () => {
    const { contactWays: gone } = await gql<{ contactWays: { id: string; name: string; state: string; deletedAt: string | null }[] }>(admin,
      `{ contactWays(deleted: true) { id name state deletedAt } }`);
    expect(gone).toHaveLength(1);
    const code = gone[0];
    expect(code.deletedAt).toBeTruthy();
    await page.reload();
    await page.getByTestId('cw-view').getByText('已删除').click();
    await row(code.id).waitFor();
    expect(await page.getByTestId('cw-count').innerText()).toBe('已删除 1 个');
    expect(await row(code.id).getByTestId('cw-deleted-at').innerText()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect(await row(code.id).getByTestId('cw-edit').count()).toBe(0);
    expect(await row(code.id).locator('img').count()).toBe(0); // its old QR code is dead
    await shot(page, 'contact-ways-deleted-list-1440');

    // Its member was unlinked meanwhile: WeCom is not asked, the error says why.
    const adds = bodies('add_contact_way').length;
    await link(linked, '');
    await row(code.id).getByTestId('cw-restore').click();
    expect(await page.getByTestId('cw-restore-body').innerText()).toContain('新的二维码');
    await page.getByTestId('cw-restore-ok').click();
    await page.getByTestId('cw-restore-error').getByText('not linked to a WeCom member').waitFor();
    expect(bodies('add_contact_way')).toHaveLength(adds);

    const member = `e2e-r-${Date.now() % 100000}`;
    await link(linked, member);
    await row(code.id).getByTestId('cw-restore').click();
    await page.getByTestId('cw-restore-ok').click();
    await toast('已恢复').waitFor();
    await row(code.id).waitFor({ state: 'detached' });
    expect(await page.getByTestId('cw-count').innerText()).toBe('已删除 0 个');
    // WeCom made a new code with the old state and member.
    expect(bodies('add_contact_way')).toHaveLength(adds + 1);
    expect(bodies('add_contact_way').at(-1)).toMatchObject({ type: 1, scene: 2, state: code.state, user: [member], remark: code.name });
    await page.getByTestId('cw-view').getByText('使用中').click();
    await row(code.id).waitFor();
    expect(await page.getByTestId('cw-count').innerText()).toBe('共 2 个');
    expect((await apiCodes()).map((c) => c.id)).toContain(code.id);
    expect(b.errors).toEqual([]);
  });
});
