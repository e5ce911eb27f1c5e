// The WeCom chat sidebar (/wecom/sidebar): what the page reads from its URL
// and user agent, and the JS-SDK calls that name the chat's customer. The
// server's OAuth2 redirect (docs/wecom.md) hands the page its login token in
// the fragment (#token=…&expiresAt=…&workspace=…) or a refusal (#error=CODE).

export const SIDEBAR_PATH = '/wecom/sidebar';
const WORKSPACE_KEY = 'scrm.wecom.workspace';

/** Whether the page runs in WeCom's built-in browser (its user agent says wxwork). */
export function insideWeCom(userAgent: string): boolean {
  return /wxwork/i.test(userAgent);
}

export interface SidebarSignIn {
  token?: string;
  error?: string;
  workspace?: string;
}

/** What the OAuth2 redirect put in the fragment; empty for any other fragment. */
export function parseSidebarFragment(hash: string): SidebarSignIn {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const out: SidebarSignIn = {};
  const token = q.get('token');
  const error = q.get('error');
  const workspace = q.get('workspace');
  if (token) out.token = token;
  if (error && /^[A-Z_]{1,64}$/.test(error)) out.error = error;
  if (workspace && /^[A-Za-z0-9_-]{1,64}$/.test(workspace)) out.workspace = workspace;
  return out;
}

/**
 * Reads and removes the sign-in fragment of the sidebar page (once, before
 * the session starts): the token is stored by store, the workspace kept for
 * signing in again, the fragment dropped from the address bar and history.
 */
export function takeSidebarSignIn(loc: Location, store: (token: string) => void): SidebarSignIn {
  if (loc.pathname !== SIDEBAR_PATH || !loc.hash) return {};
  const got = parseSidebarFragment(loc.hash);
  if (!got.token && !got.error) return {};
  taken = got;
  if (got.token) store(got.token);
  if (got.workspace) localStorage.setItem(WORKSPACE_KEY, got.workspace);
  window.history.replaceState(window.history.state, '', loc.pathname + loc.search);
  return got;
}

let taken: SidebarSignIn = {};

/** What takeSidebarSignIn took from this page load's fragment. */
export function sidebarSignIn(): SidebarSignIn {
  return taken;
}

/** The URL that signs a WeCom member in again (the page URL given to WeCom), when the workspace is known. */
export function signInAgainURL(): string | null {
  const ws = localStorage.getItem(WORKSPACE_KEY);
  return ws ? `/v1/wecom/${encodeURIComponent(ws)}/sidebar` : null;
}

// When the sidebar last restarted WeCom's OAuth2 sign-in by itself (a
// session that ended while the page was open), so a sign-in that keeps
// being refused does not send the member round WeCom in a loop.
const RESTARTED_KEY = 'scrm.wecom.signInRestartedAt';
/** At most one automatic restart of the sidebar's sign-in in this long. */
export const RESTART_GUARD_MS = 60_000;

/**
 * Whether the sidebar may restart WeCom's OAuth2 sign-in now (the session
 * ended inside WeCom, where the password sign-in is of no use): the
 * workspace of the last sign-in is known and no restart happened within
 * RESTART_GUARD_MS. A yes is remembered as a restart at now.
 */
export function claimSignInRestart(now: number = Date.now()): string | null {
  const url = signInAgainURL();
  if (!url) return null;
  const last = Number(localStorage.getItem(RESTARTED_KEY) ?? '0');
  if (Number.isFinite(last) && last <= now && now - last < RESTART_GUARD_MS) return null;
  localStorage.setItem(RESTARTED_KEY, String(now));
  return url;
}

/** The ?externalUserId= of the page (development and tests, outside WeCom). */
export function externalUserIdFrom(search: string): string | null {
  const v = new URLSearchParams(search).get('externalUserId')?.trim();
  return v ? v.slice(0, 64) : null;
}

export interface JsSdkConfig {
  corpID: string;
  agentID: number;
  timestamp: number;
  nonceStr: string;
  signature: string;
  agentSignature: string;
}

interface WxResult {
  errMsg?: string;
  err_msg?: string;
  userId?: string;
}

interface Wx {
  config(c: Record<string, unknown>): void;
  ready(f: () => void): void;
  error(f: (e: WxResult) => void): void;
  agentConfig(c: Record<string, unknown>): void;
  invoke(name: string, args: Record<string, unknown>, cb: (r: WxResult) => void): void;
}

// WeCom's JS-SDK: jweixin for wx.config, jwxwork for wx.agentConfig.
const SDK = ['https://res.wx.qq.com/open/js/jweixin-1.2.0.js', 'https://open.work.weixin.qq.com/wwopen/js/jwxwork-1.0.0.js'];

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.appendChild(s);
  });
}

/**
 * The chat's customer inside WeCom: loads the JS-SDK, runs wx.config and
 * wx.agentConfig with the server's signatures, then getCurExternalContact.
 * Rejects with WeCom's errMsg when a step fails.
 */
export async function currentExternalContact(sign: (url: string) => Promise<JsSdkConfig>): Promise<string> {
  for (const src of SDK) await loadScript(src);
  const wx = (window as unknown as { wx?: Wx }).wx;
  if (!wx) throw new Error('the WeCom JS-SDK did not load');
  const url = window.location.href.split('#')[0];
  const c = await sign(url);
  await new Promise<void>((resolve, reject) => {
    wx.config({ beta: true, debug: false, appId: c.corpID, timestamp: c.timestamp, nonceStr: c.nonceStr, signature: c.signature, jsApiList: [] });
    wx.ready(resolve);
    wx.error((e) => reject(new Error(e.errMsg ?? 'wx.config failed')));
  });
  await new Promise<void>((resolve, reject) => {
    wx.agentConfig({
      corpid: c.corpID, agentid: c.agentID, timestamp: c.timestamp, nonceStr: c.nonceStr, signature: c.agentSignature,
      jsApiList: ['getCurExternalContact'],
      success: () => resolve(),
      fail: (e: WxResult) => reject(new Error(e.errMsg ?? 'wx.agentConfig failed')),
    });
  });
  return new Promise<string>((resolve, reject) => {
    wx.invoke('getCurExternalContact', {}, (r) => {
      if (r.err_msg === 'getCurExternalContact:ok' && r.userId) resolve(r.userId);
      else reject(new Error(r.err_msg ?? 'getCurExternalContact failed'));
    });
  });
}
