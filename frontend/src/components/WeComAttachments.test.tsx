import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Form, type FormInstance } from 'antd';
import { Client, CombinedError, Provider } from 'urql';
import { GraphQLError } from 'graphql';
import { I18nProvider } from '../i18n';
import { applyFormErrors } from '../api/errors';
import { attachmentsInput } from '../lib/contactWays';
import { AttachmentsField } from './WeComAttachments';

// A client that never answers (no exchanges): the editor only needs one for its upload button.
const client = new Client({ url: '/graphql', exchanges: [] });

/** The broadcast form's use of the editor: a list named attachments. */
function Harness({ onForm, initial = [] }: { onForm: (f: FormInstance) => void; initial?: unknown[] }) {
  const [form] = Form.useForm();
  onForm(form);
  return (
    <Provider value={client}>
      <I18nProvider>
        <Form form={form} initialValues={{ attachments: initial }}>
          <AttachmentsField name="attachments" label="群发附件" hint="最多 9 个" />
        </Form>
      </I18nProvider>
    </Provider>
  );
}

describe('AttachmentsField under another list name', () => {
  it('edits attachments as the form list it is given, and lands the API errors on their input', async () => {
    localStorage.setItem('scrm.lang', 'zh');
    let form!: FormInstance;
    render(<Harness onForm={(f) => (form = f)} />);
    expect(screen.getByTestId('cw-form-attachments').textContent).toContain('群发附件');
    fireEvent.click(screen.getByTestId('cw-attach-add'));
    fireEvent.click(screen.getByTestId('cw-attach-add'));
    expect(screen.getAllByTestId('cw-form-attachment')).toHaveLength(2);
    fireEvent.change(screen.getAllByTestId('cw-attach-title')[0], { target: { value: ' 双十二活动 ' } });
    fireEvent.change(screen.getAllByTestId('cw-attach-url')[0], { target: { value: 'https://shop.example.com/1212' } });
    // The values are the list's own, and become the API's input.
    expect(attachmentsInput(form.getFieldValue('attachments'))[0]).toEqual({ type: 'LINK', title: '双十二活动', url: 'https://shop.example.com/1212' });

    // The second link has no title: the form's own check says so on its input.
    await act(async () => {
      await form.validateFields().catch(() => undefined);
    });
    expect(form.getFieldError(['attachments', 1, 'title']).length).toBe(1);
    expect(form.getFieldError(['attachments', 0, 'title'])).toEqual([]);

    // The API's errors at input.attachments[0].url and input.attachments go to that input and the list.
    const err = new CombinedError({
      graphQLErrors: [
        new GraphQLError('must be an absolute http(s) URL', { extensions: { code: 'BAD_USER_INPUT', field: 'input.attachments[0].url' } }),
        new GraphQLError('attachments go with a staff mass send', { extensions: { code: 'BAD_USER_INPUT', field: 'input.attachments' } }),
      ],
    });
    let rest: unknown[] = [];
    act(() => {
      rest = applyFormErrors(form, err, { known: ['name', 'attachments'] });
    });
    expect(rest).toEqual([]);
    expect(form.getFieldError(['attachments', 0, 'url'])).toEqual(['must be an absolute http(s) URL']);
    await waitFor(() => expect(screen.getByTestId('cw-form-attachments').textContent).toContain('must be an absolute http(s) URL'));
    expect(form.getFieldError(['attachments'])).toEqual(['attachments go with a staff mass send']);
  });
});

describe('stored media in the attachment editor', () => {
  it('shows a stored image instead of its URL, goes back to a URL, and drops a stored medium when the kind changes', async () => {
    localStorage.setItem('scrm.lang', 'zh');
    let form!: FormInstance;
    render(<Harness onForm={(f) => (form = f)} initial={[
      { type: 'VIDEO', mediaID: 'V1', media: { filename: 'intro.mp4' } },
      { type: 'IMAGE', mediaID: 'I1', picURL: '', media: { filename: 'cover.png' } },
    ]} />);
    const cards = screen.getAllByTestId('cw-form-attachment');
    expect(within(cards[1]).getByTestId('cw-attach-media').textContent).toBe('cover.png');
    expect((within(cards[1]).getByTestId('cw-attach-mediaID') as HTMLInputElement).value).toBe('I1');
    expect(within(cards[1]).queryByTestId('cw-attach-picURL')).toBeNull();
    expect(within(cards[0]).getByTestId('cw-attach-library-video')).toBeTruthy();
    expect(within(cards[1]).getByTestId('cw-attach-library-image')).toBeTruthy();
    expect(attachmentsInput(form.getFieldValue('attachments'))).toEqual([{ type: 'VIDEO', mediaID: 'V1' }, { type: 'IMAGE', mediaID: 'I1' }]);

    // 改用图片链接: the URL field is back, the stored image gone.
    fireEvent.click(within(cards[1]).getByTestId('cw-attach-use-url'));
    await waitFor(() => expect(within(cards[1]).getByTestId('cw-attach-picURL')).toBeTruthy());
    // The form's value changes before React draws the card again: wait for the drawing.
    await waitFor(() => expect(within(cards[1]).queryByTestId('cw-attach-media')).toBeNull());
    expect(attachmentsInput(form.getFieldValue('attachments'))[1]).toEqual({ type: 'IMAGE', picURL: '' });

    // The video card made a file: a video's id is no file's.
    const select = within(cards[0]).getByTestId('cw-attach-type');
    fireEvent.mouseDown(select.querySelector('.ant-select-selector') ?? select);
    fireEvent.click(await screen.findByTitle('文件'));
    await waitFor(() => expect(form.getFieldValue(['attachments', 0, 'type'])).toBe('FILE'));
    expect(form.getFieldValue(['attachments', 0, 'mediaID'])).toBe('');
    expect(form.getFieldValue(['attachments', 0, 'media'])).toBeUndefined();
    await waitFor(() => expect(within(cards[0]).queryByTestId('cw-attach-media')).toBeNull());
  });
});
