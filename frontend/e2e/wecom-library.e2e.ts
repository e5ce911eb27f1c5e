// The WeCom media library (素材库, #22) and the attachment editor's
// 从素材库选择. An admin opens 素材库 from the menu, uploads an MP4, a file
// and a PNG there (a .mov as 视频 refused in the page, nothing stored) and
// sees each listed with what the API says of it (weComMedia: kind, size,
// uploader, time); 视频 filters the list and stays in the URL over a reload.
// In a contact-way code's drawer (the code made through a fake WeCom on
// loopback: gettoken, add_contact_way, del_contact_way) a video attachment is
// picked from the library (the picker lists videos only, filters the page by
// name), and an image one too (its id instead of a URL), and saved: the API's
// code names those media. Back in the library the
// video is 使用中 with a link to the code; deleting it is refused with the
// code named and the row stays (the API still has it), the link opens the
// code's drawer; deleting the unused file removes it (the API agrees). A
// scheduled broadcast's file is named the same way and its link opens the
// broadcast; the 文件 list pages 20 at a time (next, previous). At
// 390 px the page is cards, with no sideways scroll, and an upload and a
// delete work there too, and a file is picked from the picker's second page.
// A code saved with a video WeCom then refuses (the fake answers the code's
// upload ahead with 40005) is marked 欢迎语附件失效 on the 渠道活码 page, with
// the attachment, the file and WeCom's reason in Chinese.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { ADMIN, BASE, gql, launch, pick, shot, signIn, token, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;
let fake: Server;
let fakeURL: string;

interface User { id: string; name: string; email: string; wecomUserID: string | null }
let member: User;
let code: { id: string; name: string };
let broadcast: { id: string; name: string } | undefined;
const pagedIDs: string[] = []; // the files uploaded for the pager
let refusedCode: { id: string } | undefined;

const FAKE_TOKEN = `e2e-lib-token-${Date.now()}`;
const STAMP = Date.now() % 100000;
const REFUSED_NAME = `refused-${STAMP}.mp4`; // the fake refuses this file's media/upload (40005)
// An MP4 by its first bytes (an ftyp box of brand mp42), as the API sniffs it.
const MP4 = Buffer.concat([Buffer.from('\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom', 'latin1'), Buffer.alloc(3000, 7)]);
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010800000000' + '3a7e9b55' + '0000000a49444154789c6360000000020001e221bc33' + '0000000049454e44ae426082', 'hex');
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(1536 * 1024, 32)]);
const VIDEO_NAME = `产品介绍-${STAMP}.mp4`;
const FILE_NAME = `价目表-${STAMP}.pdf`;
const IMAGE_NAME = `封面-${STAMP}.png`;
const SMALL_NAME = `手机上传-${STAMP}.txt`;

interface Medium { id: string; type: string; filename: string; size: number; createdAt: string; uploadedBy: { name: string } | null }
interface Edge { node: Medium; usedBy: { kind: string; id: string; name: string }[] }
const library = async (kind?: string) =>
  (await gql<{ weComMedia: { totalCount: number; edges: Edge[] } }>(admin,
    `query($k: WeComMediaType){ weComMedia(kind: $k, first: 1000) { totalCount edges { node { id type filename size createdAt uploadedBy { name } } usedBy { kind id name } } } }`,
    { k: kind ?? null })).weComMedia;
const byName = async (name: string) => (await library()).edges.find((e) => e.node.filename === name);
// The page's time format (fmtTime, YYYY-MM-DD HH:mm) in the browser's zone.
const shanghai = (iso: string) =>
  new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
const row = (id: string) => page.locator(`[data-testid=media-row][data-id="${id}"]`);
const toast = (text: string) => page.locator('.ant-message-notice').filter({ hasText: text }).last();
const upload = async (kind: string, file: { name: string; mimeType: string; buffer: Buffer }) => {
  await pick(page, page.getByTestId('media-upload-type'), kind);
  await page.locator('input[type=file]').setInputFiles(file);
};
const confirmDelete = async (id: string) => {
  await row(id).getByTestId('media-delete').click();
  await page.locator('.ant-popconfirm:not(.ant-popover-hidden) .ant-btn-primary').click();
};
/** Keeps a file through the API (uploadWeComMedia, a GraphQL multipart request) and answers its id. */
const apiUpload = async (type: string, name: string, buffer: Buffer): Promise<string> => {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: 'mutation($t: WeComMediaType!, $f: Upload!){ uploadWeComMedia(type: $t, file: $f) { id } }', variables: { t: type, f: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.f'] }));
  form.append('0', new Blob([new Uint8Array(buffer)]), name);
  const res = await fetch(`${BASE}/graphql`, { method: 'POST', headers: { Authorization: `Bearer ${admin}` }, body: form });
  const body = (await res.json()) as { data?: { uploadWeComMedia: { id: string } }; errors?: { message: string }[] };
  if (!body.data) throw new Error(`uploadWeComMedia: ${JSON.stringify(body.errors)}`);
  return body.data.uploadWeComMedia.id;
};
const noSidewaysScroll = async () => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

beforeAll(async () => {
  b = await launch();
  page = b.page;
  // The code's QR image (WeCom's, on *.qpic.cn) comes from here, not the network.
  await b.context.route(/^https:\/\/[^/]*\.?qpic\.cn\//, (r) => r.fulfill({ body: PNG, contentType: 'image/png' }));
  admin = await token(ADMIN.email, ADMIN.password);
  let uploads = 0;
  fake = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      res.setHeader('Content-Type', 'application/json');
      if (url.pathname === '/cgi-bin/gettoken') return void res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', access_token: FAKE_TOKEN, expires_in: 7200 }));
      if (url.searchParams.get('access_token') !== FAKE_TOKEN) return void res.end(JSON.stringify({ errcode: 40014, errmsg: 'invalid access_token' }));
      if (url.pathname === '/cgi-bin/externalcontact/add_contact_way') {
        return void res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', config_id: `cfg-lib-${STAMP}`, qr_code: 'https://wework.qpic.cn/wwpic/qr-lib/0' }));
      }
      if (url.pathname === '/cgi-bin/media/upload') {
        // A stored medium is uploaded ahead when a code or broadcast naming it is saved.
        const type = url.searchParams.get('type') ?? 'file';
        if (Buffer.concat(chunks).includes(REFUSED_NAME)) return void res.end(JSON.stringify({ errcode: 40005, errmsg: 'invalid file type' }));
        return void res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', type, media_id: `mid-lib-${type}-${++uploads}`, created_at: String(Math.floor(Date.now() / 1000)) }));
      }
      res.end(JSON.stringify({ errcode: 0, errmsg: 'ok' }));
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  fakeURL = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  await gql(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c) { key } }`, {
    c: { corpId: 'wwe2e0000000000001', agentId: 1000002, contactSecret: 'e2e-contact-secret', baseUrl: fakeURL },
  });
  const users = (await gql<{ users: { edges: { node: User }[] } }>(admin, `{ users(first: 100) { edges { node { id name email wecomUserID } } } }`)).users.edges.map((e) => e.node);
  member = users.find((u) => u.email === 'rep1@demo.scrm.dev')!;
  if (!member.wecomUserID) {
    await gql(admin, `mutation($id: ID!, $w: String){ updateUser(id: $id, input: { wecomUserID: $w }) { id } }`, { id: member.id, w: `e2e-lib-${STAMP}` });
  }
  code = (await gql<{ createContactWay: { id: string; name: string } }>(admin,
    `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id name } }`, { i: { name: `素材库测试码 ${STAMP}`, userIDs: [member.id] } })).createContactWay;
});

afterAll(async () => {
  // What this spec made goes (the code through the fake, while it still answers); the member link as it was.
  for (const c of [code, refusedCode]) if (c) await gql(admin, `mutation($id: ID!){ deleteContactWay(id: $id) }`, { id: c.id }).catch(() => undefined);
  if (broadcast) await gql(admin, `mutation($id: ID!){ cancelBroadcast(id: $id) { id } }`, { id: broadcast.id }).catch(() => undefined);
  for (const id of pagedIDs) await gql(admin, `mutation($id: ID!){ deleteWeComMedia(id: $id) }`, { id }).catch(() => undefined);
  if (member && !member.wecomUserID) {
    await gql(admin, `mutation($id: ID!, $w: String){ updateUser(id: $id, input: { wecomUserID: $w }) { id } }`, { id: member.id, w: '' }).catch(() => undefined);
  }
  await b?.close();
  await new Promise((r) => fake?.close(r));
});

describe('the media library', () => {
  it('uploads on the page: each listed as the API has it; a .mov refused in the page; 视频 kept in the URL (1440 px)', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByTestId('nav').getByText('素材库', { exact: true }).click();
    await page.waitForURL('**/wecom/media');
    const before = await library();
    if (before.totalCount === 0) await page.getByTestId('media-empty').waitFor();
    for (const col of ['文件名', '类型', '大小', '上传人', '上传时间', '使用中']) {
      expect(await page.getByTestId('media-table').locator('thead').innerText()).toContain(col);
    }

    // A .mov as 视频: the page refuses it, nothing is stored.
    await upload('视频', { name: 'clip.mov', mimeType: 'video/quicktime', buffer: Buffer.from('not an mp4 at all') });
    await toast('只能上传 MP4 视频').waitFor();
    expect((await library()).totalCount).toBe(before.totalCount);

    await upload('视频', { name: VIDEO_NAME, mimeType: 'video/mp4', buffer: MP4 });
    await toast(`已上传「${VIDEO_NAME}」`).waitFor();
    await upload('文件', { name: FILE_NAME, mimeType: 'application/pdf', buffer: PDF });
    await toast(`已上传「${FILE_NAME}」`).waitFor();
    await upload('图片', { name: IMAGE_NAME, mimeType: 'image/png', buffer: PNG });
    await toast(`已上传「${IMAGE_NAME}」`).waitFor();

    const after = await library();
    expect(after.totalCount).toBe(before.totalCount + 3);
    // Newest first: the image, the file, the video on top.
    expect(after.edges.slice(0, 3).map((e) => e.node.filename)).toEqual([IMAGE_NAME, FILE_NAME, VIDEO_NAME]);
    const sizes: Record<string, string> = { [VIDEO_NAME]: '3 KB', [FILE_NAME]: '1.5 MB', [IMAGE_NAME]: '67 B' };
    const kinds: Record<string, string> = { VIDEO: '视频', FILE: '文件', IMAGE: '图片' };
    for (const e of after.edges.slice(0, 3)) {
      const r = row(e.node.id);
      await r.waitFor();
      expect(await r.getByTestId('media-filename').innerText()).toBe(e.node.filename);
      expect(await r.getAttribute('data-kind')).toBe(e.node.type);
      expect(await r.getByTestId('media-type').innerText()).toBe(kinds[e.node.type]);
      expect(Number(await r.getByTestId('media-size').getAttribute('data-bytes'))).toBe(e.node.size);
      expect(await r.getByTestId('media-size').innerText()).toBe(sizes[e.node.filename]);
      expect(e.node.uploadedBy?.name).toBeTruthy();
      expect(await r.getByTestId('media-uploaded-by').innerText()).toBe(e.node.uploadedBy!.name);
      expect(await r.getByTestId('media-created').innerText()).toBe(shanghai(e.node.createdAt));
      expect(await r.getByTestId('media-used-by').innerText()).toBe('未使用');
    }
    expect(await page.getByTestId('media-total').innerText()).toBe(`共 ${after.totalCount} 个素材`);

    // 视频: only videos, in the URL, kept over a reload.
    await page.getByTestId('media-kind').getByText('视频', { exact: true }).click();
    await page.waitForURL('**/wecom/media?kind=VIDEO');
    const videos = await library('VIDEO');
    await page.getByTestId('media-total').getByText(`共 ${videos.totalCount} 个素材`).waitFor();
    await page.reload();
    await page.getByTestId('media-total').getByText(`共 ${videos.totalCount} 个素材`).waitFor();
    expect(page.url()).toContain('kind=VIDEO');
    expect(await page.getByTestId('media-kind').locator('.ant-segmented-item-selected').innerText()).toBe('视频');
    const shown = await page.getByTestId('media-row').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-kind')));
    expect(shown.length).toBe(Math.min(videos.totalCount, 20));
    expect(new Set(shown)).toEqual(new Set(['VIDEO']));
    await shot(page, 'wecom-library-1440');
    expect(b.errors).toEqual([]);
  });

  it("picks the video from the library in a code's welcome attachments; the saved code names it", async () => {
    const video = (await byName(VIDEO_NAME))!;
    await page.goto('/wecom/contact-ways');
    await page.locator(`[data-testid=cw-row][data-code="${code.id}"]`).getByTestId('cw-edit').click();
    await page.getByTestId('cw-attach-add').click();
    const card = page.getByTestId('cw-form-attachment').last();
    await pick(page, card.getByTestId('cw-attach-type'), '视频');
    await card.getByTestId('cw-attach-library-video').click();
    const picker = page.locator('.ant-modal-wrap:visible .ant-modal').filter({ has: page.getByTestId('media-picker-search') });
    await picker.getByTestId('media-picker-item').first().waitFor();
    // Videos only, newest first: ours on top.
    const videos = await library('VIDEO');
    expect(await picker.getByTestId('media-picker-name').allInnerTexts()).toEqual(videos.edges.slice(0, 10).map((e) => e.node.filename));
    expect(await picker.getByTestId('media-picker-total').innerText()).toBe(`共 ${videos.totalCount} 个素材`);
    // The name filter keeps the matching ones of the page.
    await picker.getByTestId('media-picker-search').locator('input').fill(`介绍-${STAMP}`);
    expect(await picker.getByTestId('media-picker-name').allInnerTexts()).toEqual([VIDEO_NAME]);
    await shot(page, 'wecom-library-picker', { fullPage: false });
    await picker.locator(`[data-testid=media-picker-item][data-id="${video.node.id}"]`).getByTestId('media-picker-choose').click();
    await picker.waitFor({ state: 'hidden' });
    expect(await card.getByTestId('cw-attach-media').innerText()).toBe(VIDEO_NAME);
    expect(await card.getByTestId('cw-attach-mediaID').inputValue()).toBe(video.node.id);

    // An image from the library stands instead of a picURL: its URL field goes, its id is kept.
    const image = (await byName(IMAGE_NAME))!;
    await page.getByTestId('cw-attach-add').click();
    const imageCard = page.getByTestId('cw-form-attachment').last();
    await pick(page, imageCard.getByTestId('cw-attach-type'), '图片');
    await imageCard.getByTestId('cw-attach-picURL').waitFor();
    await imageCard.getByTestId('cw-attach-library-image').click();
    await picker.getByTestId('media-picker-item').first().waitFor();
    expect(await picker.getByTestId('media-picker-name').first().innerText()).toBe(IMAGE_NAME);
    await picker.locator(`[data-testid=media-picker-item][data-id="${image.node.id}"]`).getByTestId('media-picker-choose').click();
    await picker.waitFor({ state: 'hidden' });
    expect(await imageCard.getByTestId('cw-attach-media').innerText()).toBe(IMAGE_NAME);
    expect(await imageCard.getByTestId('cw-attach-mediaID').inputValue()).toBe(image.node.id);
    expect(await imageCard.getByTestId('cw-attach-picURL').count()).toBe(0);
    await page.getByTestId('cw-submit').click();
    await toast('已保存').waitFor();

    const { contactWays } = await gql<{ contactWays: { id: string; welcomeAttachments: { type: string; mediaID: string | null; media: { filename: string } | null }[] }[] }>(admin,
      `{ contactWays { id welcomeAttachments { type mediaID media { filename } } } }`);
    const saved = contactWays.find((c) => c.id === code.id)!;
    expect(saved.welcomeAttachments).toEqual([
      { type: 'VIDEO', mediaID: video.node.id, media: { filename: VIDEO_NAME } },
      { type: 'IMAGE', mediaID: image.node.id, media: { filename: IMAGE_NAME } },
    ]);
    expect(b.errors).toEqual([]);
  });

  it('refuses to delete the used video, naming the code, and deletes the unused file (1440 px)', async () => {
    const video = (await byName(VIDEO_NAME))!;
    const file = (await byName(FILE_NAME))!;
    expect(video.usedBy).toEqual([{ kind: 'CONTACT_WAY', id: code.id, name: code.name }]);
    await page.goto('/wecom/media');
    await row(video.node.id).getByTestId('media-use').getByText(code.name).waitFor();
    expect(await row(video.node.id).getAttribute('data-used')).toBe('true');

    await confirmDelete(video.node.id);
    const refusal = page.getByTestId('media-in-use');
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain(`「${VIDEO_NAME}」正在使用中，不能删除`);
    expect(await refusal.getByTestId('media-use').innerText()).toContain(`渠道活码 · ${code.name}`);
    await row(video.node.id).waitFor();
    expect((await byName(VIDEO_NAME))?.node.id).toBe(video.node.id);
    await shot(page, 'wecom-library-in-use');

    await confirmDelete(file.node.id);
    await toast(`已删除「${FILE_NAME}」`).waitFor();
    await row(file.node.id).waitFor({ state: 'detached' });
    expect(await byName(FILE_NAME)).toBeUndefined();
    await expect(gql(admin, `mutation($id: ID!){ deleteWeComMedia(id: $id) }`, { id: file.node.id })).rejects.toThrow(/no such media/);

    // The row's 使用中 link opens the code's drawer.
    await row(video.node.id).getByTestId('media-use').click();
    await page.waitForURL('**/wecom/contact-ways');
    await page.locator('.scrm-cw-drawer .ant-drawer-section').waitFor();
    expect(await page.getByTestId('cw-form-name').inputValue()).toBe(code.name);
    expect(await page.getByTestId('cw-attach-media').allInnerTexts()).toEqual([VIDEO_NAME, IMAGE_NAME]);
    await page.keyboard.press('Escape');
    expect(b.errors).toEqual([]);
  });

  it('names a scheduled broadcast using a file and opens it; pages 20 at a time (1440 px)', async () => {
    const name = `素材库周报 ${STAMP}`;
    const attached = await apiUpload('FILE', `周报附件-${STAMP}.pdf`, PDF.subarray(0, 4096));
    const segmentID = (await gql<{ segments: { edges: { node: { id: string } }[] } }>(admin, `{ segments(first: 1) { edges { node { id } } } }`)).segments.edges[0].node.id;
    broadcast = (await gql<{ createBroadcast: { id: string; name: string } }>(admin,
      `mutation($i: CreateBroadcastInput!){ createBroadcast(input: $i) { id name } }`,
      { i: { name, segmentID, channel: 'wecom', template: '本周新品', attachments: [{ type: 'FILE', mediaID: attached }], scheduledAt: new Date(Date.now() + 7 * 86400_000).toISOString() } })).createBroadcast;
    expect((await library('FILE')).edges.find((e) => e.node.id === attached)?.usedBy).toEqual([{ kind: 'BROADCAST', id: broadcast.id, name }]);

    // 21 more files: the 文件 list has a second page.
    for (let i = 0; i < 21; i++) pagedIDs.push(await apiUpload('FILE', `分页-${STAMP}-${String(i).padStart(2, '0')}.txt`, Buffer.from(`第 ${i} 个文件的内容`)));
    const files = await library('FILE');
    const pages = Math.ceil(files.totalCount / 20);
    await page.goto('/wecom/media?kind=FILE');
    await page.getByTestId('media-total').getByText(`共 ${files.totalCount} 个素材`).waitFor();
    const shownIDs = () => page.getByTestId('media-row').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-id')));
    expect(await shownIDs()).toEqual(files.edges.slice(0, 20).map((e) => e.node.id));
    expect(await page.getByTestId('media-pager').innerText()).toContain(`第 1 / ${pages} 页`);
    await page.getByTestId('media-next').click();
    await page.getByTestId('media-pager').getByText(`第 2 / ${pages} 页`).waitFor();
    await expect.poll(shownIDs).toEqual(files.edges.slice(20, 40).map((e) => e.node.id));
    // The broadcast's file is older than the 21: on the second page, with its use.
    const used = row(attached);
    await used.getByTestId('media-use').getByText(`群发 · ${name}`).waitFor();
    await page.getByTestId('media-prev').click();
    await page.getByTestId('media-pager').getByText(`第 1 / ${pages} 页`).waitFor();
    await expect.poll(shownIDs).toEqual(files.edges.slice(0, 20).map((e) => e.node.id));

    // Refused while the broadcast is scheduled, naming it; its link opens the broadcast.
    await page.getByTestId('media-next').click();
    await used.waitFor();
    await confirmDelete(attached);
    await page.getByTestId('media-in-use').getByText(`群发 · ${name}`).waitFor();
    await used.getByTestId('media-use').click();
    await page.waitForURL('**/broadcasts');
    await page.locator('.ant-drawer-title').getByText(name).waitFor();
    expect(b.errors).toEqual([]);
  });

  it('is cards at 390 px: upload, the used video refused, an unused one deleted, a file picked from the second page of the picker, no sideways scroll', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/wecom/media');
    await page.getByTestId('media-cards').waitFor();
    expect(await page.getByTestId('media-table').count()).toBe(0);
    await upload('文件', { name: SMALL_NAME, mimeType: 'text/plain', buffer: Buffer.from('价目表：见附件。'.repeat(20)) });
    await toast(`已上传「${SMALL_NAME}」`).waitFor();
    const small = (await byName(SMALL_NAME))!;
    await row(small.node.id).waitFor();
    expect(await row(small.node.id).getByTestId('media-size').innerText()).toBe('480 B');
    expect(small.node.size).toBe(480);
    await noSidewaysScroll();

    await confirmDelete(small.node.id);
    await row(small.node.id).waitFor({ state: 'detached' });
    expect(await byName(SMALL_NAME)).toBeUndefined();

    // The videos (the 21 files of the pager are newer): the used one refused.
    await page.getByTestId('media-kind').getByText('视频', { exact: true }).click();
    await page.waitForURL('**/wecom/media?kind=VIDEO');
    const video = (await byName(VIDEO_NAME))!;
    await confirmDelete(video.node.id);
    await page.getByTestId('media-in-use').waitFor();
    await noSidewaysScroll();
    await row(video.node.id).waitFor();
    await shot(page, 'wecom-library-390');

    // The picker at 390 px: a file for the code, its second page read, saved.
    const files = await library('FILE');
    const second = files.edges[10].node;
    await page.goto('/wecom/contact-ways');
    await page.locator(`[data-testid=cw-row][data-code="${code.id}"]`).getByTestId('cw-edit').click();
    await page.getByTestId('cw-attach-add').click();
    const card = page.getByTestId('cw-form-attachment').last();
    await pick(page, card.getByTestId('cw-attach-type'), '文件');
    await card.getByTestId('cw-attach-library-file').click();
    const picker = page.locator('.ant-modal-wrap:visible .ant-modal').filter({ has: page.getByTestId('media-picker-search') });
    await picker.getByTestId('media-picker-item').first().waitFor();
    expect(await picker.getByTestId('media-picker-name').allInnerTexts()).toEqual(files.edges.slice(0, 10).map((e) => e.node.filename));
    await picker.getByTestId('media-picker-next').click();
    await picker.getByTestId('media-picker-pager').getByText(`第 2 / ${Math.ceil(files.totalCount / 10)} 页`).waitFor();
    await expect.poll(() => picker.getByTestId('media-picker-name').allInnerTexts()).toEqual(files.edges.slice(10, 20).map((e) => e.node.filename));
    await noSidewaysScroll();
    // 选择 stays one line high on its item's first line, right of the name
    // (List.Item's actions put it under the details, squeezed).
    for (const item of await picker.getByTestId('media-picker-item').all()) {
      const choose = (await item.getByTestId('media-picker-choose').boundingBox())!;
      const nameBox = (await item.getByTestId('media-picker-name').boundingBox())!;
      expect(choose.height).toBeLessThanOrEqual(32);
      expect(choose.y).toBeLessThan(nameBox.y + nameBox.height);
      expect(choose.x).toBeGreaterThanOrEqual(nameBox.x + nameBox.width);
    }
    await shot(page, 'wecom-library-picker-390', { fullPage: false });
    await picker.locator(`[data-testid=media-picker-item][data-id="${second.id}"]`).getByTestId('media-picker-choose').click();
    await picker.waitFor({ state: 'hidden' });
    expect(await card.getByTestId('cw-attach-media').innerText()).toBe(second.filename);
    await page.getByTestId('cw-submit').click();
    await toast('已保存').waitFor();
    const { contactWays } = await gql<{ contactWays: { id: string; welcomeAttachments: { type: string; mediaID: string | null }[] }[] }>(admin,
      `{ contactWays { id welcomeAttachments { type mediaID } } }`);
    expect(contactWays.find((c) => c.id === code.id)!.welcomeAttachments.at(-1)).toEqual({ type: 'FILE', mediaID: second.id });
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });

  it('marks a code whose welcome video WeCom refused after its save: 欢迎语附件失效, which attachment and why', async () => {
    const name = REFUSED_NAME;
    const video = await apiUpload('VIDEO', name, MP4);
    pagedIDs.push(video);
    {
      refusedCode = (await gql<{ createContactWay: { id: string } }>(admin, `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id } }`,
        { i: { name: `拒收视频码 ${STAMP}`, userIDs: [member.id], welcomeMessage: '您好', welcomeAttachments: [{ type: 'VIDEO', mediaID: video }] } })).createContactWay;
      // The code's upload ahead (an outbox task) meets WeCom's refusal.
      await expect.poll(async () => (await gql<{ weComMedia: { edges: { node: { id: string; uploadError: { code: number } | null } }[] } }>(admin,
        `{ weComMedia(kind: VIDEO, first: 1000) { edges { node { id uploadError { code } } } } }`)).weComMedia.edges.find((e) => e.node.id === video)?.node.uploadError?.code,
      { timeout: 30_000 }).toBe(40005);
    }
    await page.goto('/wecom/contact-ways');
    const line = page.locator('tr.ant-table-row').filter({ hasText: `拒收视频码 ${STAMP}` });
    await line.getByTestId('cw-attachment-broken').getByText('欢迎语附件失效').waitFor();
    expect(await line.getByTestId('cw-attachment-errors').innerText()).toContain(
      `第 1 个附件（视频 ${name}）：企业微信拒绝了该素材，文件格式不受支持（图片须为 JPG 或 PNG，视频须为 MP4）（错误码 40005）`);
    // The other codes are not marked.
    expect(await page.getByTestId('cw-attachment-broken').count()).toBe(1);
    await shot(page, 'wecom-contact-way-attachment-refused');
    expect(b.errors).toEqual([]);
  });
});
