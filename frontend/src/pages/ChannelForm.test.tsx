import { describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { App as AntApp } from 'antd';
import { MemoryRouter } from 'react-router';
import { Provider, type Client, type Operation } from 'urql';
import { fromValue } from 'wonka';
import { I18nProvider } from '../i18n';
import { ChannelForm } from './BroadcastsPage';

/** A client that records configureChannel's variables and answers it. */
function fakeClient() {
  const saved: { key: string; config: Record<string, unknown> }[] = [];
  const client = {
    executeQuery: (op: Operation) => fromValue({ operation: op, data: null, stale: false, hasNext: false }),
    executeMutation: (op: Operation) => {
      saved.push(op.variables as { key: string; config: Record<string, unknown> });
      return fromValue({ operation: op, data: { configureChannel: { key: 'wecom', enabled: true, config: {}, updatedAt: '2026-12-05T00:00:00Z', __typename: 'Channel' } }, stale: false, hasNext: false });
    },
    executeSubscription: () => fromValue({}),
    reexecuteOperation: () => {},
  } as unknown as Client;
  return { client, saved };
}

function renderForm(client: Client, onSaved = vi.fn()) {
  localStorage.setItem('scrm.lang', 'zh');
  render(
    <Provider value={client}>
      <I18nProvider>
        <AntApp>
          <MemoryRouter>
            <ChannelForm plugin="wecom" current={{ enabled: true, config: { corpId: 'ww0123456789', agentId: 1000002 } }} onClose={() => {}} onSaved={onSaved} />
          </MemoryRouter>
        </AntApp>
      </I18nProvider>
    </Provider>,
  );
  return onSaved;
}

const type = (testid: string, value: string) => fireEvent.change(screen.getByTestId(testid), { target: { value } });
const save = () => act(async () => {
  fireEvent.click(screen.getByTestId('channel-submit'));
});

describe('the wecom channel form', () => {
  it('takes WeCom’s domain verification file, checked as the server checks it', async () => {
    const { client, saved } = fakeClient();
    const onSaved = renderForm(client);
    await screen.findByTestId('channel-verifyFileName');

    // A name that is not WeCom's, and a name without its text: refused here, nothing sent.
    type('channel-verifyFileName', 'index.html');
    await save();
    await screen.findByText('文件名须为企业微信给出的 WW_verify_….txt（字母和数字）');
    type('channel-verifyFileName', 'WW_verify_4ZNaK9fT3FA6ljQH.txt');
    await save();
    await screen.findByText('校验文件的文件名和内容须一起填写');
    type('channel-verifyFileContent', '4ZNaK9 fT3');
    await save();
    await screen.findByText('内容须为校验文件中的文本：1–128 个字母、数字或符号，不含空格和换行');
    expect(saved).toEqual([]);

    type('channel-verifyFileContent', '4ZNaK9fT3FA6ljQH');
    await save();
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0].key).toBe('wecom');
    expect(saved[0].config).toMatchObject({ corpId: 'ww0123456789', agentId: 1000002, verifyFileName: 'WW_verify_4ZNaK9fT3FA6ljQH.txt', verifyFileContent: '4ZNaK9fT3FA6ljQH' });
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
  }, 20000);
});
