import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import dayjs from 'dayjs';
import { I18nProvider } from '../i18n';
import { MemoryRouter } from 'react-router';
import { WeComContacts } from './WeComContacts';

const wang = { id: 'u1', name: '王芳' };
const li = { id: 'u2', name: '李雷' };

describe('WeComContacts', () => {
  it('shows nothing without contacts', () => {
    localStorage.setItem('scrm.lang', 'zh');
    const { container } = render(<I18nProvider><WeComContacts contacts={[]} /></I18nProvider>);
    expect(container.innerHTML).toBe('');
    const none = render(<I18nProvider><WeComContacts contacts={null} /></I18nProvider>);
    expect(none.container.innerHTML).toBe('');
  });

  it('lists the members, since when, the channel, and the lost one in red with its date', () => {
    localStorage.setItem('scrm.lang', 'zh');
    const lostAt = '2026-04-02T06:30:00Z';
    render(
      <I18nProvider>
        <WeComContacts
          contacts={[
            { id: 'c1', externalUserID: 'wmA', addedAt: '2026-03-01T02:00:00Z', lostAt, state: '', user: wang },
            { id: 'c2', externalUserID: 'wmA', addedAt: '2026-03-05T02:00:00Z', lostAt: null, state: 'cwAbc123', user: li },
          ]}
        />
      </I18nProvider>,
    );
    expect(screen.getByTestId('lead-wecom').textContent).toContain('企业微信 (2)');
    const rows = screen.getAllByTestId('wecom-contact');
    expect(rows.map((r) => r.getAttribute('data-lost'))).toEqual(['false', 'true']);
    expect(rows[0].textContent).toContain('李雷');
    expect(rows[0].textContent).toContain(`添加时间 ${dayjs('2026-03-05T02:00:00Z').format('YYYY-MM-DD HH:mm')}`);
    expect(rows[0].textContent).toContain('渠道: cwAbc123');
    expect(rows[0].textContent).toContain('好友');
    expect(rows[1].textContent).toContain('渠道: 未记录');
    expect(screen.queryByTestId('wecom-code')).toBeNull();
    const lost = screen.getByTestId('wecom-lost');
    expect(lost.textContent).toBe(`已流失 · ${dayjs(lostAt).format('YYYY-MM-DD HH:mm')}`);
    expect(lost.className).toContain('red');
  });

  it("names the contact-way code, a link only for those who may open 渠道活码", () => {
    localStorage.setItem('scrm.lang', 'zh');
    const code = { id: 'c3', externalUserID: 'wmB', addedAt: '2026-03-01T02:00:00Z', lostAt: null, state: 'cwX', user: wang, contactWay: { id: 'cw', name: '春季展会', deleted: true } };
    const plain = render(<I18nProvider><WeComContacts contacts={[code]} /></I18nProvider>);
    expect(screen.getByTestId('wecom-state').textContent).toBe('渠道: 春季展会（已删除）');
    expect(screen.getByTestId('wecom-code').tagName).toBe('SPAN');
    plain.unmount();
    render(<MemoryRouter><I18nProvider><WeComContacts contacts={[code]} codesPage /></I18nProvider></MemoryRouter>);
    expect(screen.getByTestId('wecom-code').getAttribute('href')).toBe('/wecom/contact-ways');
  });

  it('speaks English', () => {
    localStorage.setItem('scrm.lang', 'en');
    render(<I18nProvider><WeComContacts contacts={[{ id: 'c1', externalUserID: 'wmA', addedAt: '2026-03-01T02:00:00Z', lostAt: '2026-04-02T06:30:00Z', state: 'cw1', user: wang }]} /></I18nProvider>);
    expect(screen.getByTestId('lead-wecom').textContent).toContain('WeCom (1)');
    expect(screen.getByTestId('wecom-lost').textContent).toMatch(/^Lost · /);
    expect(screen.getByTestId('wecom-contact').textContent).toContain('Channel: cw1');
  });
});
