import { describe, expect, it } from 'vitest';
import { claimSignInRestart, externalUserIdFrom, insideWeCom, parseSidebarFragment, RESTART_GUARD_MS } from './wecomSidebar';

describe('the WeCom sidebar URL', () => {
  it('knows WeCom by its user agent', () => {
    expect(insideWeCom('Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh')).toBe(true);
    expect(insideWeCom('Mozilla/5.0 (Windows NT 10.0) Chrome/120 wxwork/4.1.16 (MicroMessenger/6.2) WindowsWechat')).toBe(true);
    expect(insideWeCom('Mozilla/5.0 (iPhone) MicroMessenger/8.0.40')).toBe(false);
    expect(insideWeCom('Mozilla/5.0 (X11; Linux x86_64) Chrome/120')).toBe(false);
  });

  it('reads the sign-in fragment and nothing else', () => {
    expect(parseSidebarFragment('#token=abc.def&expiresAt=2026-12-05T11%3A00%3A00Z&workspace=V1NfMDE')).toEqual({ token: 'abc.def', workspace: 'V1NfMDE' });
    expect(parseSidebarFragment('#error=WECOM_CODE_REFUSED&workspace=ws1')).toEqual({ error: 'WECOM_CODE_REFUSED', workspace: 'ws1' });
    expect(parseSidebarFragment('#error=<script>')).toEqual({});
    expect(parseSidebarFragment('#/leads')).toEqual({});
    expect(parseSidebarFragment('')).toEqual({});
  });

  it('takes ?externalUserId= for development', () => {
    expect(externalUserIdFrom('?externalUserId=wmABC')).toBe('wmABC');
    expect(externalUserIdFrom('?externalUserId=%20')).toBeNull();
    expect(externalUserIdFrom('')).toBeNull();
    expect(externalUserIdFrom('?externalUserId=' + 'x'.repeat(80))).toHaveLength(64);
  });
});

describe('restarting the sidebar sign-in', () => {
  it('restarts once per guard period, and only for a known workspace', () => {
    localStorage.clear();
    expect(claimSignInRestart(1_000_000)).toBeNull(); // no sign-in through WeCom yet
    localStorage.setItem('scrm.wecom.workspace', 'V1NfMDE');
    expect(claimSignInRestart(1_000_000)).toBe('/v1/wecom/V1NfMDE/sidebar');
    expect(claimSignInRestart(1_000_000 + 5_000)).toBeNull(); // refused again at once: no loop
    expect(claimSignInRestart(1_000_000 + RESTART_GUARD_MS - 1)).toBeNull();
    expect(claimSignInRestart(1_000_000 + RESTART_GUARD_MS)).toBe('/v1/wecom/V1NfMDE/sidebar');
    localStorage.clear();
  });
});
