import { describe, expect, it } from 'vitest';
import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';
import { translate, type MessageKey } from '../i18n';
import {
  ATTACHMENT_RULES, attachmentErrorText, attachmentLabel, attachmentRules, attachmentValueOf, mediaFileProblem, attachmentProblem, attachmentsInput, contactWayErrors, contactWayUpdate, formValuesOf, KEEP_POOL, memberCountProblem,
  imageFileProblem, MAX_IMAGE_BYTES, memberOptions, notConfigured, uploadErrors, type AttachmentValue, type EditableCode,
} from './contactWays';

const gerr = (...errs: [string, Record<string, unknown>][]) =>
  new CombinedError({ graphQLErrors: errs.map(([m, ext]) => new GraphQLError(m, { extensions: ext })) });

describe('memberOptions', () => {
  it('disables users without a WeCom member id or deactivated, after those who can be members', () => {
    const opts = memberOptions([
      { id: 'u1', name: '王芳', active: true, wecomUserID: null },
      { id: 'u2', name: '李雷', active: true, wecomUserID: 'lilei' },
      { id: 'u3', name: '韩梅', active: false, wecomUserID: 'hanmei' },
      { id: 'u4', name: '张三', active: true, wecomUserID: '' },
      { id: 'u5', name: '赵四', active: true, wecomUserID: 'zhaosi' },
    ]);
    expect(opts.map((o) => o.value)).toEqual(['u2', 'u5', 'u1', 'u3', 'u4']);
    expect(opts.filter((o) => !o.disabled).map((o) => o.label)).toEqual(['李雷', '赵四']);
    expect(opts.find((o) => o.value === 'u1')).toMatchObject({ disabled: true, reason: 'unlinked' });
    expect(opts.find((o) => o.value === 'u3')).toMatchObject({ disabled: true, reason: 'inactive' });
    expect(opts.find((o) => o.value === 'u4')).toMatchObject({ disabled: true, reason: 'unlinked' });
  });
});

describe('contactWayErrors', () => {
  const sent = { userIDs: ['u2', 'u1'], tagIDs: ['t9'] };
  const names = { users: new Map([['u1', '王芳'], ['u2', '李雷']]), tags: new Map([['t9', '展会']]) };

  it("puts a list element's error on the list's field, named", () => {
    const err = gerr(['the user is not linked to a WeCom member (updateUser wecomUserID)', { code: 'BAD_USER_INPUT', field: 'input.userIDs[1]' }]);
    expect(contactWayErrors(err, sent, names)).toEqual({
      fields: [{ name: ['userIDs'], errors: ['王芳: the user is not linked to a WeCom member (updateUser wecomUserID)'] }],
      rest: [],
    });
  });
  it('names an element it does not know by its position', () => {
    const err = gerr(['user not found', { code: 'NOT_FOUND', field: 'input.userIDs[0]' }]);
    expect(contactWayErrors(err, { userIDs: ['gone'] }, names).fields).toEqual([{ name: ['userIDs'], errors: ['#1: user not found'] }]);
    const tag = gerr(['tag not found', { code: 'NOT_FOUND', field: 'input.tagIDs[0]' }]);
    expect(contactWayErrors(tag, sent, names).fields).toEqual([{ name: ['tagIDs'], errors: ['展会: tag not found'] }]);
  });
  it('puts plain field errors on their fields and keeps the rest for an alert', () => {
    const err = gerr(
      ['template: welcomeMessage:1: function "nme" not defined', { code: 'BAD_USER_INPUT', field: 'input.welcomeMessage' }],
      ['a code needs at least one member', { code: 'BAD_USER_INPUT', field: 'input.userIDs' }],
      ['name is required', { code: 'BAD_USER_INPUT', field: 'input.name' }],
      ['something else', { code: 'BAD_USER_INPUT', field: 'input.configID' }],
      ['forbidden', { code: 'FORBIDDEN' }],
    );
    const { fields, rest } = contactWayErrors(err, sent, names);
    expect(fields).toEqual([
      { name: ['welcomeMessage'], errors: ['template: welcomeMessage:1: function "nme" not defined'] },
      { name: ['userIDs'], errors: ['a code needs at least one member'] },
      { name: ['name'], errors: ['name is required'] },
    ]);
    expect(rest.map((e) => e.message)).toEqual(['something else', 'forbidden']);
  });
  it('leaves a CONFLICT for the alert and knows the one that says WeCom is not configured', () => {
    const err = gerr(["configure the wecom channel's corpId and contactSecret first", { code: 'CONFLICT' }]);
    const { fields, rest } = contactWayErrors(err, sent, names);
    expect(fields).toEqual([]);
    expect(rest).toHaveLength(1);
    expect(notConfigured(rest[0])).toBe(true);
    expect(notConfigured({ code: 'CONFLICT', message: 'WeCom refused add_contact_way: errcode 40058 invalid' })).toBe(false);
    expect(notConfigured({ code: 'BAD_USER_INPUT', message: 'corpId' })).toBe(false);
  });
});

describe('contactWayUpdate', () => {
  const code: EditableCode = {
    name: '2026 春季展会',
    strategy: 'ROUND_ROBIN',
    source: 'expo-2026',
    welcomeMessage: '您好{{.name}}',
    skipVerify: true,
    users: [{ id: 'u1' }, { id: 'u2' }],
    tags: [{ id: 't1' }, { id: 't2' }],
  };

  it('sends nothing when nothing changed (the pool kept, tags in another order, a name with spaces around it)', () => {
    const v = formValuesOf(code);
    expect(v.poolID).toBe(KEEP_POOL);
    expect(v).toMatchObject({ name: code.name, userIDs: ['u1', 'u2'], tagIDs: ['t1', 't2'], source: 'expo-2026' });
    expect(contactWayUpdate(code, v)).toEqual({});
    expect(contactWayUpdate(code, { ...v, tagIDs: ['t2', 't1'], name: ` ${code.name} ` })).toEqual({});
  });
  it('sends only the fields that changed', () => {
    const v = formValuesOf(code);
    expect(contactWayUpdate(code, { ...v, name: '秋季展会 ' })).toEqual({ name: '秋季展会' });
    expect(contactWayUpdate(code, { ...v, welcomeMessage: '欢迎' })).toEqual({ welcomeMessage: '欢迎' });
    expect(contactWayUpdate(code, { ...v, welcomeMessage: undefined })).toEqual({ welcomeMessage: '' });
    expect(contactWayUpdate(code, { ...v, skipVerify: false, strategy: 'FIXED' })).toEqual({ skipVerify: false, strategy: 'FIXED' });
    expect(contactWayUpdate(code, { ...v, tagIDs: ['t1', 't3'] })).toEqual({ tagIDs: ['t1', 't3'] });
    expect(contactWayUpdate(code, { ...v, source: ' fair ' })).toEqual({ source: 'fair' });
  });
  it('sends the members in their new order, or with one replaced', () => {
    const v = formValuesOf(code);
    expect(contactWayUpdate(code, { ...v, userIDs: ['u2', 'u1'] })).toEqual({ userIDs: ['u2', 'u1'] });
    expect(contactWayUpdate(code, { ...v, userIDs: ['u1', 'u3'] })).toEqual({ userIDs: ['u1', 'u3'] });
  });
  it('clears the tags with [] (not an omitted field)', () => {
    const v = formValuesOf(code);
    expect(contactWayUpdate(code, { ...v, tagIDs: [] })).toEqual({ tagIDs: [] });
    expect(contactWayUpdate(code, { ...v, tagIDs: undefined })).toEqual({ tagIDs: [] });
    expect(contactWayUpdate({ ...code, tags: [] }, { ...v, tagIDs: undefined })).toEqual({});
  });
  it('clears the pool with clearPool, sets a new one by id, and keeps an unknown pool unless touched', () => {
    const v = formValuesOf(code);
    expect(contactWayUpdate(code, { ...v, poolID: undefined })).toEqual({ clearPool: true });
    expect(contactWayUpdate(code, { ...v, poolID: '' })).toEqual({ clearPool: true });
    expect(contactWayUpdate(code, { ...v, poolID: 'p1' })).toEqual({ poolID: 'p1' });
    // A code whose pool is known.
    const pooled = { ...code, poolID: 'p1' };
    expect(formValuesOf(pooled).poolID).toBe('p1');
    expect(contactWayUpdate(pooled, formValuesOf(pooled))).toEqual({});
    expect(contactWayUpdate(pooled, { ...formValuesOf(pooled), poolID: 'p2' })).toEqual({ poolID: 'p2' });
    expect(contactWayUpdate(pooled, { ...formValuesOf(pooled), poolID: undefined })).toEqual({ clearPool: true });
    const none = { ...code, poolID: null };
    expect(formValuesOf(none).poolID).toBeUndefined();
    expect(contactWayUpdate(none, formValuesOf(none))).toEqual({});
  });
  it('treats an emptied source as wecom, the default', () => {
    const wecom = { ...code, source: 'wecom' };
    expect(contactWayUpdate(wecom, { ...formValuesOf(wecom), source: '' })).toEqual({});
    expect(contactWayUpdate(code, { ...formValuesOf(code), source: '  ' })).toEqual({ source: '' });
  });
});

describe('memberCountProblem', () => {
  it('keeps a one-member code at one and a several-member code at several', () => {
    expect(memberCountProblem(1, 1)).toBeNull();
    expect(memberCountProblem(1, 2)).toBe('one');
    expect(memberCountProblem(1, 0)).toBe('one');
    expect(memberCountProblem(2, 3)).toBeNull();
    expect(memberCountProblem(3, 2)).toBeNull();
    expect(memberCountProblem(2, 1)).toBe('several');
    expect(memberCountProblem(2, 0)).toBe('several');
    // A new code: any number (the required rule asks for one).
    expect(memberCountProblem(0, 1)).toBeNull();
    expect(memberCountProblem(0, 5)).toBeNull();
  });
});

describe('contactWayErrors on an update', () => {
  it("puts the API's member-count refusal on the members field", () => {
    const err = gerr(["a code made for one member keeps one member, and one made for several keeps several (WeCom cannot change a code's type): create a new code", { code: 'BAD_USER_INPUT', field: 'input.userIDs' }]);
    const { fields, rest } = contactWayErrors(err, { userIDs: ['u1'] });
    expect(fields).toHaveLength(1);
    expect(fields[0].name).toEqual(['userIDs']);
    expect(fields[0].errors[0]).toContain('keeps one member');
    expect(rest).toEqual([]);
  });
  it('leaves WeCom\'s refusal and a code deleted meanwhile for the alert', () => {
    const err = gerr(['WeCom refused update_contact_way: errcode 60111 userid not found', { code: 'CONFLICT' }], ['contact way not found', { code: 'NOT_FOUND', field: 'id' }]);
    const { fields, rest } = contactWayErrors(err, { userIDs: ['u1'] });
    expect(fields).toEqual([]);
    expect(rest.map((e) => e.code)).toEqual(['CONFLICT', 'NOT_FOUND']);
    expect(notConfigured(rest[0])).toBe(false);
  });
});

describe('uploading a welcome image', () => {
  it('takes a JPG or PNG of 5 bytes to 2 MB, as WeCom does', () => {
    expect(imageFileProblem({ type: 'image/png', size: 1024 })).toBeNull();
    expect(imageFileProblem({ type: 'image/jpeg', size: MAX_IMAGE_BYTES })).toBeNull();
    expect(imageFileProblem({ type: 'image/jpeg', size: MAX_IMAGE_BYTES + 1 })).toBe('size');
    expect(imageFileProblem({ type: 'image/gif', size: 1024 })).toBe('type');
    expect(imageFileProblem({ type: 'image/webp', size: 1024 })).toBe('type');
    expect(imageFileProblem({ type: '', size: 1024 })).toBe('type');
    expect(imageFileProblem({ type: 'image/png', size: 0 })).toBe('empty');
  });

  it('tells a corp not configured from the refusals shown as the API says them', () => {
    const none = uploadErrors(gerr(["configure the wecom channel's corpId and contactSecret first", { code: 'CONFLICT' }]));
    expect(none.notConfigured).toBe(true);
    expect(none.messages).toEqual([]);
    const bad = uploadErrors(gerr(['must be a JPG or PNG image', { code: 'BAD_USER_INPUT', field: 'file' }]));
    expect(bad.notConfigured).toBe(false);
    expect(bad.messages.map((e) => e.message)).toEqual(['must be a JPG or PNG image']);
    expect(uploadErrors(undefined)).toEqual({ notConfigured: false, quota: null, messages: [] });
  });

  it("reads the workspace's daily upload cap from LIMIT_EXCEEDED's extensions", () => {
    const full = uploadErrors(gerr(["the workspace made today's 3 image uploads to WeCom", { code: 'LIMIT_EXCEEDED', field: 'file', limit: 3, resetsAt: '2026-12-04T16:00:00Z' }]));
    expect(full).toEqual({ notConfigured: false, quota: { limit: 3, resetsAt: '2026-12-04T16:00:00Z' }, messages: [] });
    // Another limit (without the cap's extensions) is said as the API's refusal.
    const other = uploadErrors(gerr(['too many requests', { code: 'LIMIT_EXCEEDED' }]));
    expect(other.quota).toBeNull();
    expect(other.messages.map((e) => e.code)).toEqual(['LIMIT_EXCEEDED']);
  });

  it("shows an uploaded image by its URL's name, not its size suffix", () => {
    expect(attachmentLabel({ type: 'IMAGE', picURL: 'https://wework.qpic.cn/wwpic/252813_jOfDHtc_1629280209/0' })).toBe('252813_jOfDHtc_1629280209');
    expect(attachmentLabel({ type: 'IMAGE', picURL: 'https://wework.qpic.cn/wwpic/e2e/poster.png' })).toBe('poster.png');
  });
});

describe('welcome attachments', () => {
  const rule = (type: keyof typeof ATTACHMENT_RULES, field: string) => ATTACHMENT_RULES[type].find((r) => r.field === field)!;

  it('checks each field as the API does: required, bytes, URLs, *.qpic.cn over https, the appid', () => {
    expect(attachmentProblem(rule('IMAGE', 'picURL'), ' ')).toEqual({ kind: 'required' });
    expect(attachmentProblem(rule('IMAGE', 'picURL'), 'https://wework.qpic.cn/wwpic/a.png')).toBeNull();
    expect(attachmentProblem(rule('IMAGE', 'picURL'), 'https://qpic.cn/a.png')).toBeNull();
    expect(attachmentProblem(rule('IMAGE', 'picURL'), 'http://wework.qpic.cn/a.png')).toEqual({ kind: 'qpic' });
    expect(attachmentProblem(rule('IMAGE', 'picURL'), 'https://evilqpic.cn/a.png')).toEqual({ kind: 'qpic' });
    expect(attachmentProblem(rule('IMAGE', 'picURL'), 'wework.qpic.cn/a.png')).toEqual({ kind: 'url' });
    expect(attachmentProblem(rule('LINK', 'url'), 'ftp://example.com/x')).toEqual({ kind: 'url' });
    expect(attachmentProblem(rule('LINK', 'url'), 'https://user:pw@example.com/x')).toEqual({ kind: 'url' });
    expect(attachmentProblem(rule('LINK', 'picURL'), '')).toBeNull();
    expect(attachmentProblem(rule('LINK', 'desc'), '')).toBeNull();
    // 43 Chinese characters are 129 bytes: over a link title's 128.
    expect(attachmentProblem(rule('LINK', 'title'), '展'.repeat(42) + 'a')).toBeNull();
    expect(attachmentProblem(rule('LINK', 'title'), '展'.repeat(43))).toEqual({ kind: 'tooLong', max: 128 });
    expect(attachmentProblem(rule('MINIPROGRAM', 'title'), '展'.repeat(22))).toEqual({ kind: 'tooLong', max: 64 });
    expect(attachmentProblem(rule('MINIPROGRAM', 'appID'), 'wx0123456789abcdef')).toBeNull();
    expect(attachmentProblem(rule('MINIPROGRAM', 'appID'), 'wx0123456789ABCDEF')).toEqual({ kind: 'appid' });
    expect(attachmentProblem(rule('MINIPROGRAM', 'page'), '')).toEqual({ kind: 'required' });
  });

  it('sends each attachment with its type’s fields only, trimmed, empty optional ones left out, in order', () => {
    const list: AttachmentValue[] = [
      { type: 'LINK', title: ' 活动页 ', url: 'https://example.com/a', picURL: '', desc: '', appID: 'stale', page: 'stale' },
      { type: 'IMAGE', picURL: 'https://wework.qpic.cn/p.png', title: 'left from a link' },
      { type: 'MINIPROGRAM', title: '商城', appID: 'wx0123456789abcdef', page: 'pages/index', picMediaID: 'MEDIA' },
    ];
    expect(attachmentsInput(list)).toEqual([
      { type: 'LINK', title: '活动页', url: 'https://example.com/a' },
      { type: 'IMAGE', picURL: 'https://wework.qpic.cn/p.png' },
      { type: 'MINIPROGRAM', title: '商城', appID: 'wx0123456789abcdef', page: 'pages/index', picMediaID: 'MEDIA' },
    ]);
    expect(attachmentLabel(list[1])).toBe('p.png');
    expect(attachmentLabel(list[0])).toBe(' 活动页 ');
  });

  it('an edit sends the attachments when added, reordered or removed, and not when the same', () => {
    const link = { type: 'LINK' as const, title: '活动页', url: 'https://example.com/a', picURL: null, desc: null, appID: null, page: null, picMediaID: null };
    const image = { type: 'IMAGE' as const, title: null, url: null, picURL: 'https://wework.qpic.cn/p.png', desc: null, appID: null, page: null, picMediaID: null };
    const code: EditableCode = {
      name: 'x', strategy: 'FIXED', source: 'wecom', welcomeMessage: '', skipVerify: true, users: [{ id: 'u1' }], tags: [], welcomeAttachments: [link, image],
    };
    const v = formValuesOf(code);
    expect(v.welcomeAttachments).toEqual([
      { type: 'LINK', title: '活动页', url: 'https://example.com/a', picURL: '', desc: '' },
      { type: 'IMAGE', picURL: 'https://wework.qpic.cn/p.png' },
    ]);
    expect(contactWayUpdate(code, v)).toEqual({});
    expect(contactWayUpdate(code, { ...v, welcomeAttachments: [v.welcomeAttachments![1], v.welcomeAttachments![0]] })).toEqual({
      welcomeAttachments: [{ type: 'IMAGE', picURL: 'https://wework.qpic.cn/p.png' }, { type: 'LINK', title: '活动页', url: 'https://example.com/a' }],
    });
    expect(contactWayUpdate(code, { ...v, welcomeAttachments: [] })).toEqual({ welcomeAttachments: [] });
  });

  it("puts an attachment's API error on that attachment's input, and the list's on the list", () => {
    const err = gerr(
      ['must be an https URL WeCom\'s upload image API (media/uploadimg) gave, on *.qpic.cn', { code: 'BAD_USER_INPUT', field: 'input.welcomeAttachments[1].picURL' }],
      ['at most 128 bytes', { code: 'BAD_USER_INPUT', field: 'input.welcomeAttachments[0].title' }],
      ['IMAGE, LINK or MINIPROGRAM', { code: 'BAD_USER_INPUT', field: 'input.welcomeAttachments[2].type' }],
      ['at most 9 attachments (WeCom\'s limit)', { code: 'BAD_USER_INPUT', field: 'input.welcomeAttachments' }],
    );
    const { fields, rest } = contactWayErrors(err, {});
    expect(rest).toEqual([]);
    expect(fields).toEqual([
      { name: ['welcomeAttachments'], errors: ["at most 9 attachments (WeCom's limit)"] },
      { name: ['welcomeAttachments', 1, 'picURL'], errors: ["must be an https URL WeCom's upload image API (media/uploadimg) gave, on *.qpic.cn"] },
      { name: ['welcomeAttachments', 0, 'title'], errors: ['at most 128 bytes'] },
      { name: ['welcomeAttachments', 2, 'type'], errors: ['IMAGE, LINK or MINIPROGRAM'] },
    ]);
  });
});

describe('stored media attachments (videos, files, covers)', () => {
  it('checks a file against WeCom\'s limits of media/upload before it is sent', () => {
    expect(mediaFileProblem('VIDEO', { name: 'a.mp4', size: 10 << 20, type: 'video/mp4' })).toBeNull();
    expect(mediaFileProblem('VIDEO', { name: 'a.mp4', size: (10 << 20) + 1, type: 'video/mp4' })).toBe('size');
    expect(mediaFileProblem('VIDEO', { name: 'a.mov', size: 100, type: 'video/quicktime' })).toBe('type');
    expect(mediaFileProblem('FILE', { name: 'a.pdf', size: 20 << 20, type: 'application/pdf' })).toBeNull();
    expect(mediaFileProblem('FILE', { name: 'a.pdf', size: (20 << 20) + 1, type: 'application/pdf' })).toBe('size');
    expect(mediaFileProblem('FILE', { name: 'a.txt', size: 5, type: 'text/plain' })).toBe('empty');
    expect(mediaFileProblem('IMAGE', { name: 'a.gif', size: 100, type: 'image/gif' })).toBe('type');
    expect(mediaFileProblem('IMAGE', { name: 'a.png', size: 100, type: 'image/png' })).toBeNull();
  });
  it('sends a video\'s or file\'s mediaID and keeps the file name for the label', () => {
    const video = attachmentValueOf({ type: 'VIDEO', mediaID: 'V1', media: { filename: 'intro.mp4' } });
    expect(video).toEqual({ type: 'VIDEO', mediaID: 'V1', media: { filename: 'intro.mp4' } });
    expect(attachmentsInput([video, { type: 'FILE', mediaID: ' F1 ' }])).toEqual([{ type: 'VIDEO', mediaID: 'V1' }, { type: 'FILE', mediaID: 'F1' }]);
    expect(attachmentLabel(video)).toBe('intro.mp4');
    expect(attachmentsInput([{ type: 'VIDEO', mediaID: '' }])).toEqual([{ type: 'VIDEO', mediaID: '' }]);
    expect(attachmentProblem(ATTACHMENT_RULES.VIDEO[0], '')).toEqual({ kind: 'required' });
  });
  it('takes a stored image (mediaID, picked from the library) instead of an IMAGE\'s picURL, never both', () => {
    expect(attachmentRules({ type: 'IMAGE' })).toBe(ATTACHMENT_RULES.IMAGE);
    expect(attachmentRules({ type: 'IMAGE', mediaID: '  ' })).toBe(ATTACHMENT_RULES.IMAGE);
    expect(attachmentRules({ type: 'IMAGE', mediaID: 'I1' }).map((r) => [r.field, r.required])).toEqual([['mediaID', true]]);
    expect(attachmentRules({ type: 'VIDEO', mediaID: 'V1' })).toBe(ATTACHMENT_RULES.VIDEO);
    // A picked image sends its mediaID only (a picURL left in the form is not sent); a URL one its picURL only.
    expect(attachmentsInput([
      { type: 'IMAGE', mediaID: 'I1', picURL: 'https://wework.qpic.cn/old/0', media: { filename: 'cover.png' } },
      { type: 'IMAGE', mediaID: '', picURL: 'https://wework.qpic.cn/a/0' },
    ])).toEqual([{ type: 'IMAGE', mediaID: 'I1' }, { type: 'IMAGE', picURL: 'https://wework.qpic.cn/a/0' }]);
    // A code's stored image is edited as one and shown by its file name.
    const stored = attachmentValueOf({ type: 'IMAGE', picURL: null, mediaID: 'I1', media: { filename: 'cover.png' } });
    expect(stored).toEqual({ type: 'IMAGE', mediaID: 'I1', media: { filename: 'cover.png' } });
    expect(attachmentLabel(stored)).toBe('cover.png');
    expect(attachmentLabel({ type: 'IMAGE', mediaID: 'I1' })).toBe('I1');
  });
});

describe('attachmentErrorText', () => {
  const zh = (k: MessageKey, v?: Record<string, string | number>) => translate('zh', k, v);
  const en = (k: MessageKey, v?: Record<string, string | number>) => translate('en', k, v);
  it('says which attachment and why, from the reason code and WeCom’s errcode', () => {
    const refused = { index: 1, type: 'VIDEO' as const, filename: 'intro.mp4', reason: 'MEDIA_REFUSED' as const, errcode: 40005 };
    expect(attachmentErrorText(zh, refused)).toBe('第 2 个附件（视频 intro.mp4）：企业微信拒绝了该素材，文件格式不受支持（图片须为 JPG 或 PNG，视频须为 MP4）（错误码 40005）');
    expect(attachmentErrorText(en, refused)).toBe('Attachment 2 (Video intro.mp4): WeCom refused the file: A format WeCom does not take (images JPG or PNG, videos MP4) (errcode 40005)');
    expect(attachmentErrorText(zh, { ...refused, errcode: 48001 })).toContain('（错误码 48001）');
    expect(attachmentErrorText(zh, { index: 0, type: 'MINIPROGRAM', filename: null, reason: 'MEDIA_DELETED', errcode: null }))
      .toBe('第 1 个附件（小程序）：素材已从素材库删除');
  });
});
