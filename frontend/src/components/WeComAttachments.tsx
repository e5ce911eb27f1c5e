// The attachment editor of WeCom messages: a contact-way code's welcome
// message (ContactWaysPage) and a staff mass send (the broadcast form on
// the wecom channel) take the same attachments — images, links,
// mini-programs, videos and files, at most 9, checked as the API checks them
// (internal/wecom/welcome.go) — and upload images the same way
// (uploadWeComImage: WeCom's media/uploadimg keeps the image, its URL
// becomes the picURL; the workspace's daily cap on uploads is said on the
// image's field with when it starts again). Videos, files and covers are
// uploaded to the workspace's media library or picked from it (MediaPicker).
import { Button, Card, Form, Image, Input, Select, Space, Tag, Tooltip, Typography, Upload } from 'antd';
import {
  AppstoreOutlined, ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, FileOutlined, FolderOpenOutlined, LinkOutlined, PictureOutlined, PlusOutlined, UploadOutlined,
  VideoCameraOutlined,
} from '@ant-design/icons';
import { useState } from 'react';
import { useMutation } from 'urql';
import { UploadWeComImageDoc, UploadWeComMediaDoc } from '../api/ops';
import { errorMessage } from '../api/errors';
import { useI18n, type MessageKey } from '../i18n';
import { fmtTime } from '../lib/format';
import { MediaPicker } from './WeComMediaPicker';
import {
  ATTACHMENT_RULES, ATTACHMENT_TYPES, attachmentLabel, attachmentRules, attachmentProblem, IMAGE_TYPES, imageFileProblem, MAX_ATTACHMENTS, MEDIA_LIMITS,
  mediaFileProblem, uploadErrors, type AttachmentFieldRule, type AttachmentValue, type MediaKind,
} from '../lib/contactWays';
import type { WelcomeAttachmentType } from '../gql/graphql';

const attachmentIcon: Record<WelcomeAttachmentType, React.ReactNode> = {
  IMAGE: <PictureOutlined />, LINK: <LinkOutlined />, MINIPROGRAM: <AppstoreOutlined />, VIDEO: <VideoCameraOutlined />, FILE: <FileOutlined />,
};

/** Attachments (a code's welcome message's, a mass send's) in order: an icon for the kind and the title (an image by its file name). */
export function AttachmentTags({ list }: { list: AttachmentValue[] }) {
  const { t } = useI18n();
  if (!list.length) return <span className="scrm-muted">—</span>;
  return (
    <div style={{ maxWidth: 220, whiteSpace: 'normal' }}>
      {list.map((a, i) => (
        <Tooltip key={i} title={`${t(`contactWays.attach.${a.type}` as MessageKey)}: ${a.url || a.picURL || a.appID || ''}`}>
          <Tag icon={attachmentIcon[a.type]} data-testid="cw-attachment" data-kind={a.type} style={{ maxWidth: 200, overflow: 'hidden', textOverflow: 'ellipsis' }}>
            {attachmentLabel(a)}
          </Tag>
        </Tooltip>
      ))}
    </div>
  );
}


/**
 * The attachments of a code's welcome message or of a staff mass send, the
 * form's list `name`: a list of cards, each a kind (image, link,
 * mini-program) and that kind's fields, checked as the API checks them;
 * moved up and down, removed, at most MAX_ATTACHMENTS. The API's errors
 * land on the input they name (input.welcomeAttachments[i].title,
 * input.attachments[i].url).
 */
export function AttachmentsField({ name, label, hint }: { name: string; label?: string; hint?: string }) {
  const { t } = useI18n();
  const form = Form.useFormInstance();
  return (
    <Form.List name={name}>
      {(fields, { add, remove, move }, { errors }) => (
        <Form.Item label={label ?? t('contactWays.attachments')} extra={hint ?? t('contactWays.attachmentsHint', { n: MAX_ATTACHMENTS })} data-testid="cw-form-attachments">
          <Space orientation="vertical" style={{ width: '100%' }} size={8}>
            {fields.map((f, i) => (
              <Card
                key={f.key}
                size="small"
                data-testid="cw-form-attachment"
                title={
                  <Space>
                    <span>#{i + 1}</span>
                    <Form.Item name={[f.name, 'type']} noStyle>
                      <Select
                        size="small"
                        style={{ width: 120 }}
                        // A stored medium is of one kind: another kind starts without it.
                        onChange={() => form.setFields((['mediaID', 'picMediaID', 'media'] as const).map((k) => ({ name: [name, f.name, k], value: k === 'media' ? undefined : '' })))}
                        data-testid="cw-attach-type"
                        options={ATTACHMENT_TYPES.map((k) => ({ value: k, label: t(`contactWays.attach.${k}` as MessageKey) }))}
                      />
                    </Form.Item>
                  </Space>
                }
                extra={
                  <Space size={0}>
                    <Button size="small" type="text" icon={<ArrowUpOutlined />} disabled={i === 0} onClick={() => move(i, i - 1)} aria-label={t('contactWays.attach.up')} data-testid="cw-attach-up" />
                    <Button size="small" type="text" icon={<ArrowDownOutlined />} disabled={i === fields.length - 1} onClick={() => move(i, i + 1)} aria-label={t('contactWays.attach.down')} data-testid="cw-attach-down" />
                    <Button size="small" type="text" danger icon={<DeleteOutlined />} onClick={() => remove(f.name)} aria-label={t('contactWays.attach.remove')} data-testid="cw-attach-remove" />
                  </Space>
                }
              >
                <Form.Item
                  noStyle
                  shouldUpdate={(a, b) => a[name]?.[f.name]?.type !== b[name]?.[f.name]?.type || a[name]?.[f.name]?.mediaID !== b[name]?.[f.name]?.mediaID}
                >
                  {({ getFieldValue }) => {
                    const type = getFieldValue([name, f.name, 'type']) as WelcomeAttachmentType;
                    const mediaID = getFieldValue([name, f.name, 'mediaID']) as string | undefined;
                    return (
                      <>
                        {type === 'IMAGE' && <ImageUpload list={name} name={f.name} />}
                        {(type === 'VIDEO' || type === 'FILE') && <MediaUpload list={name} name={f.name} kind={type} field="mediaID" />}
                        {type === 'MINIPROGRAM' && <MediaUpload list={name} name={f.name} kind="IMAGE" field="picMediaID" />}
                        {attachmentRules({ type, mediaID }).map((r) => <AttachmentInput key={`${type}-${r.field}`} name={f.name} type={type} rule={r} />)}
                      </>
                    );
                  }}
                </Form.Item>
              </Card>
            ))}
            <Form.ErrorList errors={errors} />
            <Button
              icon={<PlusOutlined />}
              disabled={fields.length >= MAX_ATTACHMENTS}
              onClick={() => add({ type: 'LINK', title: '', url: '', picURL: '', desc: '' })}
              data-testid="cw-attach-add"
            >
              {t('contactWays.attach.add')}
            </Button>
          </Space>
        </Form.Item>
      )}
    </Form.List>
  );
}

/** One field of an attachment, with WeCom's rule for it (required, bytes, URL, *.qpic.cn, appid). */
function AttachmentInput({ name, type, rule }: { name: number; type: WelcomeAttachmentType; rule: AttachmentFieldRule }) {
  const { t } = useI18n();
  const label = t(`contactWays.attach.${type}.${rule.field}` as MessageKey);
  const hint = type === 'IMAGE' && rule.field === 'picURL' ? t('contactWays.attach.IMAGE.hint') : type === 'MINIPROGRAM' && rule.field === 'picMediaID' ? t('contactWays.attach.MINIPROGRAM.mediaHint') : undefined;
  return (
    <Form.Item
      name={[name, rule.field]}
      label={label}
      required={rule.required}
      extra={hint}
      style={{ marginBottom: 8 }}
      rules={[
        {
          validator: async (_, v?: string) => {
            const p = attachmentProblem(rule, v);
            if (!p) return;
            throw new Error(t(`contactWays.attach.problem.${p.kind}` as MessageKey, p.kind === 'tooLong' ? { max: p.max } : undefined));
          },
        },
      ]}
    >
      {rule.field === 'mediaID' ? (
        <Input readOnly data-testid="cw-attach-mediaID" placeholder={t('contactWays.media.none')} />
      ) : rule.field === 'desc' ? (
        <Input.TextArea rows={2} data-testid={`cw-attach-${rule.field}`} />
      ) : (
        <Input data-testid={`cw-attach-${rule.field}`} placeholder={rule.field === 'appID' ? 'wx0123456789abcdef' : rule.kind ? 'https://' : undefined} />
      )}
    </Form.Item>
  );
}

/**
 * An image attachment's upload: a JPG or PNG of at most 2 MB from the
 * admin's computer goes to WeCom (uploadWeComImage) and the URL WeCom keeps
 * it under fills the picURL below, shown as a thumbnail. Or 从素材库选择
 * picks a stored image, whose id (mediaID) then stands instead of the
 * picURL (attachmentRules); 改用图片链接 goes back to a URL. A file of another
 * kind or size is refused here; the API's refusal lands on the picURL field.
 */
const PIC_URL_RULE = ATTACHMENT_RULES.IMAGE.find((r) => r.field === 'picURL')!;

function ImageUpload({ list, name }: { list: string; name: number }) {
  const { t, lang } = useI18n();
  const form = Form.useFormInstance();
  const [{ fetching }, upload] = useMutation(UploadWeComImageDoc);
  const field = [list, name, 'picURL'];
  const url = Form.useWatch(field, form) as string | undefined;
  // A thumbnail only of a URL the API would take (WeCom's, the page's CSP allows).
  const shown = url && !attachmentProblem(PIC_URL_RULE, url) ? url : undefined;

  const idField = [list, name, 'mediaID'];
  const mediaField = [list, name, 'media'];
  const [picking, setPicking] = useState(false);
  // A stored image picked from the library (mediaID) stands instead of the picURL.
  const storedID = Form.useWatch(idField, { form, preserve: true }) as string | undefined;
  const stored = Form.useWatch(mediaField, { form, preserve: true }) as { filename: string } | undefined;
  const setPicURL = (picURL: string) => form.setFields([
    { name: idField, value: '' }, { name: mediaField, value: undefined }, { name: field, value: picURL, errors: [] },
  ]);

  const send = async (file: File) => {
    const problem = imageFileProblem(file);
    if (problem) return form.setFields([{ name: field, errors: [t(`contactWays.upload.problem.${problem}` as MessageKey)] }]);
    form.setFields([{ name: field, errors: [] }]);
    const r = await upload({ file });
    if (r.data) {
      setPicURL(r.data.uploadWeComImage);
      await form.validateFields([field]).catch(() => undefined);
      return;
    }
    const { notConfigured: none, quota, messages } = uploadErrors(r.error);
    form.setFields([{
      name: field,
      errors: [
        ...(none ? [t('contactWays.upload.notConfigured')] : []),
        ...(quota ? [t('contactWays.upload.quota', { limit: quota.limit, at: fmtTime(quota.resetsAt) })] : []),
        ...messages.map((e) => errorMessage(e, lang)),
      ],
    }]);
  };

  return (
    <Space align="start" style={{ marginBottom: 8 }} wrap>
      <Upload
        accept={IMAGE_TYPES.join(',')}
        showUploadList={false}
        beforeUpload={(file) => {
          void send(file);
          return false;
        }}
      >
        <Button icon={<UploadOutlined />} loading={fetching} data-testid="cw-attach-upload">
          {t('contactWays.upload.button')}
        </Button>
      </Upload>
      <Button icon={<FolderOpenOutlined />} onClick={() => setPicking(true)} data-testid="cw-attach-library-image">
        {t('media.pick')}
      </Button>
      {storedID ? (
        <Space size={4}>
          <Typography.Text data-testid="cw-attach-media" style={{ fontSize: 12 }} ellipsis>{stored?.filename ?? storedID}</Typography.Text>
          <Button size="small" type="link" onClick={() => setPicURL('')} data-testid="cw-attach-use-url">{t('media.useURL')}</Button>
        </Space>
      ) : shown ? (
        <Image src={shown} width={64} height={64} style={{ objectFit: 'cover' }} alt={attachmentLabel({ type: 'IMAGE', picURL: shown })} data-testid="cw-attach-preview" />
      ) : (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('contactWays.upload.hint')}</Typography.Text>
      )}
      <MediaPicker
        kind="IMAGE"
        open={picking}
        onClose={() => setPicking(false)}
        onPick={(m) => {
          setPicking(false);
          form.setFields([{ name: field, value: '', errors: [] }, { name: idField, value: m.id, errors: [] }, { name: mediaField, value: { filename: m.filename } }]);
        }}
      />
    </Space>
  );
}

/** A stored medium as an upload or the library gives it. */
export interface StoredMedium {
  id: string;
  filename: string;
}

/**
 * Keeps a file as a stored medium (uploadWeComMedia) after the page's own
 * checks (mediaFileProblem: WeCom's size limit, the format by name or type):
 * send answers the medium, or the errors to show in the UI's language (the
 * page's refusal, or the API's). The attachment editor and the media
 * library page upload through it.
 */
export function useMediaUpload() {
  const { t, lang } = useI18n();
  const [{ fetching }, upload] = useMutation(UploadWeComMediaDoc);
  const send = async (kind: MediaKind, file: File): Promise<{ media?: StoredMedium; errors: string[] }> => {
    const problem = mediaFileProblem(kind, file);
    if (problem) {
      const msg = problem === 'type' ? t(`contactWays.media.problem.type.${kind}` as MessageKey)
        : problem === 'size' ? t('contactWays.media.problem.size', { max: MEDIA_LIMITS[kind] >> 20 }) : t('contactWays.media.problem.empty');
      return { errors: [msg] };
    }
    const r = await upload({ type: kind, file });
    if (r.data) return { media: r.data.uploadWeComMedia, errors: [] };
    return { errors: uploadErrors(r.error).messages.map((e) => errorMessage(e, lang)) };
  };
  return { send, fetching };
}

/** What a file input of kind accepts (the browser's filter; the checks are mediaFileProblem's). */
export function mediaAccept(kind: MediaKind): string | undefined {
  return kind === 'IMAGE' ? IMAGE_TYPES.join(',') : kind === 'VIDEO' ? 'video/mp4,.mp4' : undefined;
}

/**
 * A video's or file's upload, or a mini-program's cover: the file is kept
 * in the workspace (uploadWeComMedia; the API uploads it to WeCom when the
 * attachment is sent, and again before WeCom's media id expires) and its id
 * fills the attachment's mediaID (picMediaID for a cover); its file name is
 * shown. 从素材库选择 picks one already stored instead (MediaPicker) and
 * fills the same fields. A file of the wrong kind or size is refused here;
 * the API's refusal lands on that field.
 */
function MediaUpload({ list, name, kind, field: sub }: { list: string; name: number; kind: MediaKind; field: 'mediaID' | 'picMediaID' }) {
  const { t } = useI18n();
  const form = Form.useFormInstance();
  const { send: upload, fetching } = useMediaUpload();
  const [picking, setPicking] = useState(false);
  const field = [list, name, sub];
  const mediaField = [list, name, 'media'];
  // media has no input of its own: watched with preserve, as antd watches only registered fields otherwise.
  const media = Form.useWatch(mediaField, { form, preserve: true }) as { filename: string } | undefined;
  const id = Form.useWatch(field, form) as string | undefined;

  const use = async (m: StoredMedium) => {
    form.setFieldValue(field, m.id);
    form.setFieldValue(mediaField, { filename: m.filename });
    await form.validateFields([field]).catch(() => undefined);
  };
  const send = async (file: File) => {
    form.setFields([{ name: field, errors: [] }]);
    const r = await upload(kind, file);
    if (r.media) return use(r.media);
    form.setFields([{ name: field, errors: r.errors }]);
  };

  return (
    <Space align="start" style={{ marginBottom: 8 }} wrap>
      <Upload
        accept={mediaAccept(kind)}
        showUploadList={false}
        beforeUpload={(file) => {
          void send(file);
          return false;
        }}
      >
        <Button icon={<UploadOutlined />} loading={fetching} data-testid={`cw-attach-upload-${kind.toLowerCase()}`}>
          {t(`contactWays.media.button.${kind}` as MessageKey)}
        </Button>
      </Upload>
      <Button icon={<FolderOpenOutlined />} onClick={() => setPicking(true)} data-testid={`cw-attach-library-${kind.toLowerCase()}`}>
        {t('media.pick')}
      </Button>
      {media && id ? (
        <Typography.Text data-testid="cw-attach-media" style={{ fontSize: 12 }} ellipsis>{media.filename}</Typography.Text>
      ) : (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t(`contactWays.media.hint.${kind}` as MessageKey)}</Typography.Text>
      )}
      <MediaPicker
        kind={kind}
        open={picking}
        onClose={() => setPicking(false)}
        onPick={(m) => {
          setPicking(false);
          form.setFields([{ name: field, errors: [] }]);
          void use(m);
        }}
      />
    </Space>
  );
}
