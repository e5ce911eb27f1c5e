// Stored media in the WeCom attachment editor (#22): in the contact-way
// drawer a VIDEO attachment takes an MP4 by upload (uploadWeComMedia keeps it
// in the workspace; the API uploads it to WeCom when the welcome is sent), a
// file of the wrong kind is refused on the field before any request, and a
// mini-program's cover is uploaded instead of typed as a media id. At 1440
// and 390 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, BASE, launch, pick, shot, signIn, type Browser } from './lib';

let b: Browser;
let page: Page;

beforeAll(async () => {
  b = await launch();
  page = b.page;
});
afterAll(async () => {
  await b?.close();
});

// An MP4 by its first bytes (an ftyp box of brand mp42), as the API sniffs it.
const MP4 = Buffer.concat([Buffer.from('\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom', 'latin1'), Buffer.alloc(2048, 7)]);
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010800000000' + '3a7e9b55' + '0000000a49444154789c6360000000020001e221bc33' + '0000000049454e44ae426082', 'hex');

const decodeID = (id: string) => Buffer.from(id, 'base64url').toString();

describe('stored media in the attachment editor', () => {
  for (const width of [1440, 390]) {
    it(`uploads a video and a mini-program cover at ${width} px`, async () => {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      if (width === 1440) await signIn(page, ADMIN.email, ADMIN.password);
      await page.goto(`${BASE}/wecom/contact-ways`);
      await page.getByTestId('cw-new').click();
      await page.getByTestId('cw-attach-add').click();
      const card = page.getByTestId('cw-form-attachment').last();
      await pick(page, card.getByTestId('cw-attach-type'), '视频');
      const file = card.locator('input[type=file]');
      // A .mov is refused here: no request.
      await file.setInputFiles({ name: 'clip.mov', mimeType: 'video/quicktime', buffer: Buffer.from('not an mp4 at all') });
      await card.getByText('只能上传 MP4 视频').waitFor();
      expect(await card.getByTestId('cw-attach-mediaID').inputValue()).toBe('');
      await file.setInputFiles({ name: '产品介绍.mp4', mimeType: 'video/mp4', buffer: MP4 });
      await card.getByText('只能上传 MP4 视频').waitFor({ state: 'detached' });
      const shown = await card.getByTestId('cw-attach-media').waitFor({ timeout: 10_000 }).then(() => true, () => false);
      expect(await card.locator('.ant-form-item-explain-error').allInnerTexts()).toEqual([]);
      expect(shown).toBe(true);
      expect(await card.getByTestId('cw-attach-media').innerText()).toBe('产品介绍.mp4');
      const id = await card.getByTestId('cw-attach-mediaID').inputValue();
      expect(decodeID(id)).toMatch(/^WeComMedia:/);
      expect(await card.locator('.ant-form-item-explain-error').count()).toBe(0);

      // A mini-program's cover by upload.
      await page.getByTestId('cw-attach-add').click();
      const mini = page.getByTestId('cw-form-attachment').last();
      await pick(page, mini.getByTestId('cw-attach-type'), '小程序');
      await mini.getByTestId('cw-attach-upload-image').waitFor();
      await mini.locator('input[type=file]').setInputFiles({ name: 'cover.png', mimeType: 'image/png', buffer: PNG });
      await mini.getByTestId('cw-attach-media').getByText('cover.png').waitFor();
      expect(decodeID(await mini.getByTestId('cw-attach-picMediaID').inputValue())).toMatch(/^WeComMedia:/);
      await shot(page, `wecom-media-${width}`);
      await page.keyboard.press('Escape');
    });
  }
});
