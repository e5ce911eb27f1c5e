import { lazy, Suspense, useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { App as AntApp, ConfigProvider, Drawer, Layout, Menu, Result, Spin, Button, Dropdown, Space, Tag, Typography, type MenuProps } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import {
  ApartmentOutlined, BarChartOutlined, ClusterOutlined, DatabaseOutlined, FilterOutlined, GlobalOutlined,
  InboxOutlined, LogoutOutlined, NotificationOutlined, SafetyOutlined, SettingOutlined, TagsOutlined,
  TeamOutlined, ThunderboltOutlined, UnorderedListOutlined, UserOutlined, FormOutlined, CodeOutlined, DashboardOutlined, HomeOutlined, ProjectOutlined, MenuOutlined, CheckSquareOutlined, QrcodeOutlined, FolderOpenOutlined, NodeIndexOutlined, HistoryOutlined, MergeCellsOutlined, KeyOutlined,
} from '@ant-design/icons';
import { useI18n } from './i18n';
import { useSession } from './auth/session';
import { pageRules, homePage, type PageKey } from './lib/permissions';
import { LoginPage } from './pages/LoginPage';
import { LeadsPage } from './pages/LeadsPage';
import { NotificationBell } from './components/NotificationBell';
import { TaskButton } from './components/TaskButton';
import { ReauthModal } from './auth/ReauthModal';
import { Shortcuts } from './components/Shortcuts';
import { openQueues } from './api/opsPages';
import { useMobile } from './lib/useMobile';
import { useMotion } from './lib/useMotion';
import { claimSignInRestart, insideWeCom, sidebarSignIn, signInAgainURL, SIDEBAR_PATH } from './lib/wecomSidebar';
import { messages, type MessageKey } from './i18n/messages';

const HomePage = lazy(() => import('./pages/HomePage'));
const LeadDetailPage = lazy(() => import('./pages/LeadDetailPage'));
const KanbanPage = lazy(() => import('./pages/KanbanPage'));
const DuplicatesPage = lazy(() => import('./pages/DuplicatesPage'));
const PoolPage = lazy(() => import('./pages/PoolPage'));
const SegmentsPage = lazy(() => import('./pages/SegmentsPage'));
const SegmentEditorPage = lazy(() => import('./pages/SegmentEditorPage'));
const BroadcastsPage = lazy(() => import('./pages/BroadcastsPage'));
const FunnelPage = lazy(() => import('./pages/FunnelPage'));
const TasksPage = lazy(() => import('./pages/TasksPage'));
const NotificationsPage = lazy(() => import('./pages/NotificationsPage'));
const JobsPage = lazy(() => import('./pages/JobsPage'));
const ContactWaysPage = lazy(() => import('./pages/ContactWaysPage'));
const WeComMediaPage = lazy(() => import('./pages/WeComMediaPage'));
const JourneysPage = lazy(() => import('./pages/JourneysPage'));
const JourneyPage = lazy(() => import('./pages/JourneyPage'));
const JourneyEditorPage = lazy(() => import('./pages/JourneyEditorPage'));
const FieldsPage = lazy(() => import('./pages/settings/FieldsPage'));
const PipelinesPage = lazy(() => import('./pages/settings/PipelinesPage'));
const TagsPage = lazy(() => import('./pages/settings/TagsPage'));
const PoolsPage = lazy(() => import('./pages/settings/PoolsPage'));
const RulesPage = lazy(() => import('./pages/settings/RulesPage'));
const RolesPage = lazy(() => import('./pages/settings/RolesPage'));
const TerritoriesPage = lazy(() => import('./pages/settings/TerritoriesPage'));
const UsersPage = lazy(() => import('./pages/settings/UsersPage'));
const ApiKeysPage = lazy(() => import('./pages/settings/ApiKeysPage'));
const WeComSidebarPage = lazy(() => import('./pages/WeComSidebarPage'));

const { Sider, Header, Content } = Layout;

// 我的线索 is the leads list filtered to the signed-in user's own leads.
const MY_FILTER = JSON.stringify({ owner: 'me' });
const MY_LEADS = `/leads?filter=${encodeURIComponent(MY_FILTER)}`;

export function App() {
  const { lang } = useI18n();
  const motion = useMotion();
  const theme = useMemo(() => ({ zeroRuntime: true, token: { motion } }), [motion]);
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={theme}>
      <AntApp>
        <Gate />
      </AntApp>
    </ConfigProvider>
  );
}

function Gate() {
  const { token, viewer, loading, error, expired, signOut } = useSession();
  const { t } = useI18n();
  // The WeCom chat sidebar is a page of its own, without the app's shell.
  const sidebar = useLocation().pathname === SIDEBAR_PATH;
  const refused = sidebar ? sidebarSignIn().error : undefined;
  if (refused) return <SidebarSignInRefused code={refused} />;
  // Inside WeCom the password sign-in is of no use: a session that ended
  // (or none) signs in again through WeCom's OAuth2, once a minute at most.
  if (sidebar && (!token || expired) && insideWeCom(navigator.userAgent) && signInAgainURL()) return <SidebarSignInAgain />;
  if (!token) return <LoginPage />;
  if (loading || (!viewer && !error)) {
    return (
      <div className="scrm-login">
        <Spin size="large" tip={t('common.loading')}>
          <div style={{ width: 120, height: 80 }} />
        </Spin>
      </div>
    );
  }
  if (!viewer) {
    return (
      <Result
        status="warning"
        title={t('session.failed')}
        subTitle={error}
        extra={<Button onClick={signOut}>{t('session.signOut')}</Button>}
      />
    );
  }
  return (
    <>
      {sidebar ? <Suspense fallback={<Spin style={{ display: 'block', margin: '80px auto' }} />}><WeComSidebarPage /></Suspense> : <Shell />}
      {expired && <ReauthModal />}
    </>
  );
}

/** The WeCom sidebar's refused sign-in, said from its code (docs/wecom.md). */
function SidebarSignInRefused({ code }: { code: string }) {
  const { t } = useI18n();
  const key = `sidebar.error.${code}` as MessageKey;
  const again = signInAgainURL();
  return (
    <Result status="warning" title={t('sidebar.signInFailed')}
      subTitle={<>{key in messages ? t(key) : code} {t('sidebar.reopen')}</>}
      extra={again && <Button type="primary" href={again}>{t('sidebar.signInAgain')}</Button>} />
  );
}

/**
 * Restarts the sidebar's WeCom sign-in (the page URL given to WeCom, which
 * comes back to this page with a new token); a restart within the last
 * minute is not repeated (a token refused right after its sign-in would
 * loop): the page says so and offers the sign-in by hand.
 */
function SidebarSignInAgain() {
  const { t } = useI18n();
  const [to] = useState(() => claimSignInRestart());
  useEffect(() => {
    if (to) window.location.replace(to);
  }, [to]);
  if (to) return <Spin style={{ display: 'block', margin: '80px auto' }} tip={t('sidebar.signingInAgain')}><div style={{ height: 80 }} /></Spin>;
  return (
    <Result status="warning" title={t('sidebar.signInLoop')} subTitle={t('sidebar.signInLoopHint')} data-testid="sidebar-sign-in-loop"
      extra={<Button type="primary" href={signInAgainURL() ?? undefined}>{t('sidebar.signInAgain')}</Button>} />
  );
}

function Guard({ page, children }: { page: PageKey; children: ReactNode }) {
  const { can } = useSession();
  const { t } = useI18n();
  if (!pageRules[page](can)) {
    return <Result status="403" title="403" subTitle={t('common.forbiddenPage')} />;
  }
  return <Suspense fallback={<Spin style={{ display: 'block', margin: '80px auto' }} />}>{children}</Suspense>;
}

function Shell() {
  const { viewer, can, signOut } = useSession();
  const { t, lang, setLang } = useI18n();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  const location = useLocation();

  const items = useMemo(() => {
    const show = (k: PageKey) => pageRules[k](can);
    const top = [
      show('home') && { key: '/home', icon: <HomeOutlined />, label: t('nav.home') },
      show('tasks') && { key: '/tasks', icon: <CheckSquareOutlined />, label: t('nav.tasks') },
      show('leads') && { key: '/leads', icon: <UnorderedListOutlined />, label: t('nav.leads') },
      show('leads') && can('lead', 'claim') && { key: MY_LEADS, icon: <UserOutlined />, label: t('nav.myLeads') },
      show('leads') && { key: '/kanban', icon: <ProjectOutlined />, label: t('nav.kanban') },
      show('duplicates') && { key: '/duplicates', icon: <MergeCellsOutlined />, label: t('nav.duplicates') },
      show('pool') && { key: '/pool', icon: <InboxOutlined />, label: t('nav.pool') },
      show('segments') && { key: '/segments', icon: <FilterOutlined />, label: t('nav.segments') },
      show('broadcasts') && { key: '/broadcasts', icon: <NotificationOutlined />, label: t('nav.broadcasts') },
      show('funnel') && { key: '/funnel', icon: <BarChartOutlined />, label: t('nav.funnel') },
      show('wecom.contact-ways') && { key: '/wecom/contact-ways', icon: <QrcodeOutlined />, label: t('nav.contactWays') },
      show('wecom.media') && { key: '/wecom/media', icon: <FolderOpenOutlined />, label: t('nav.media') },
      show('journeys') && { key: '/journeys', icon: <NodeIndexOutlined />, label: t('nav.journeys') },
      show('jobs') && { key: '/jobs', icon: <HistoryOutlined />, label: t('nav.jobs') },
    ].filter(Boolean) as { key: string; icon: ReactNode; label: string }[];
    const settings = [
      show('settings.fields') && { key: '/settings/fields', icon: <FormOutlined />, label: t('nav.fields') },
      show('settings.pipelines') && { key: '/settings/pipelines', icon: <ApartmentOutlined />, label: t('nav.pipelines') },
      show('settings.tags') && { key: '/settings/tags', icon: <TagsOutlined />, label: t('nav.tags') },
      show('settings.pools') && { key: '/settings/pools', icon: <DatabaseOutlined />, label: t('nav.pools') },
      show('settings.rules') && { key: '/settings/rules', icon: <ThunderboltOutlined />, label: t('nav.rules') },
      show('settings.roles') && { key: '/settings/roles', icon: <SafetyOutlined />, label: t('nav.roles') },
      show('settings.territories') && { key: '/settings/territories', icon: <ClusterOutlined />, label: t('nav.territories') },
      show('settings.users') && { key: '/settings/users', icon: <TeamOutlined />, label: t('nav.users') },
      show('settings.apiKeys') && { key: '/settings/api-keys', icon: <KeyOutlined />, label: t('nav.apiKeys') },
    ].filter(Boolean) as { key: string; icon: ReactNode; label: string }[];
    const all: NonNullable<MenuProps['items']> = [...top];
    if (settings.length > 0) {
      all.push({ key: 'settings', icon: <SettingOutlined />, label: t('nav.settings'), children: settings });
    }
    return all;
  }, [can, t]);

  const mine = location.pathname === '/leads' && new URLSearchParams(location.search).get('filter') === MY_FILTER;
  const selected = mine ? MY_LEADS : '/' + location.pathname.split('/').filter(Boolean).slice(0, /^\/(settings|wecom)\//.test(location.pathname) ? 2 : 1).join('/');
  const home = homePage(can);
  const allowed = useCallback((path: string) => {
    const p = path.split('?')[0];
    if (p === '/home' || p === '/leads' || p === '/kanban') return pageRules.leads(can);
    if (p === '/tasks') return pageRules.tasks(can);
    return p === '/pool' ? pageRules.pool(can) : p === '/funnel' ? pageRules.funnel(can) : false;
  }, [can]);

  // Below 768 px (md) the menu moves into a drawer opened from the header.
  const mobile = useMobile();
  const [drawer, setDrawer] = useState(false);
  const menu = (
    <Menu
      theme="dark"
      mode="inline"
      selectedKeys={[selected]}
      defaultOpenKeys={['settings']}
      items={items}
      onClick={({ key }) => {
        setDrawer(false);
        navigate(key);
      }}
      data-testid="nav"
    />
  );
  const logo = (
    <div className="scrm-logo">
      scrm
      <small>{viewer!.workspace.name}</small>
    </div>
  );

  return (
    <Layout style={{ minHeight: '100vh' }}>
      {mobile ? (
        <Drawer open={drawer} onClose={() => setDrawer(false)} placement="left" size={240} closable={false} className="scrm-drawer" data-testid="nav-drawer">
          {logo}
          {menu}
        </Drawer>
      ) : (
        <Sider width={208} breakpoint="lg" collapsedWidth={64} data-testid="sider">
          <div style={{ position: 'sticky', top: 0, maxHeight: '100vh', overflowY: 'auto' }}>
            {logo}
            {menu}
          </div>
        </Sider>
      )}
      <Layout>
        <Header className="scrm-header">
          {mobile ? (
            <Button type="text" icon={<MenuOutlined />} onClick={() => setDrawer(true)} aria-label={t('nav.menu')} data-testid="nav-open" />
          ) : (
            <Typography.Text type="secondary">{viewer!.workspace.slug}</Typography.Text>
          )}
          <Space size={mobile ? 'small' : 'middle'}>
            {can('task', 'read') && <TaskButton />}
            <NotificationBell />
            <Button
              type="text"
              icon={<GlobalOutlined />}
              onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}
              data-testid="lang-switch"
            >
              {mobile ? (lang === 'zh' ? 'EN' : '中') : lang === 'zh' ? 'English' : '中文'}
            </Button>
            <Dropdown
              menu={{
                items: [
                  { key: 'graphiql', icon: <CodeOutlined />, label: 'GraphiQL' },
                  ...(viewer!.roles.includes('admin') ? [{ key: 'queues', icon: <DashboardOutlined />, label: t('nav.queues') }] : []),
                  { key: 'logout', icon: <LogoutOutlined />, label: t('session.signOut') },
                ],
                onClick: ({ key }) => {
                  if (key === 'logout') signOut();
                  else if (key === 'graphiql') window.open('/graphiql', '_blank', 'noopener');
                  else if (key === 'queues') void openQueues().then((ok) => ok || message.error(t('nav.queuesRefused')));
                },
              }}
            >
              <Space style={{ cursor: 'pointer' }} data-testid="user-menu">
                <UserOutlined />
                <span className="scrm-user-name">{viewer!.name}</span>
                {!mobile && viewer!.roles.map((r) => (
                  <Tag key={r} color="blue">
                    {r}
                  </Tag>
                ))}
              </Space>
            </Dropdown>
          </Space>
        </Header>
        <Shortcuts allowed={allowed} />
        <Content className="scrm-content">
          <Routes>
            <Route path="/" element={<Navigate to={home} replace />} />
            <Route path="/login" element={<Navigate to={home} replace />} />
            <Route path="/welcome" element={<Result status="info" title={t('welcome.title')} subTitle={t('welcome.noPages')} />} />
            <Route path="/home" element={<Guard page="home"><HomePage /></Guard>} />
            <Route path="/kanban" element={<Guard page="leads"><KanbanPage /></Guard>} />
            <Route path="/duplicates" element={<Guard page="duplicates"><DuplicatesPage /></Guard>} />
            <Route path="/leads" element={<Guard page="leads"><LeadsPage /></Guard>} />
            <Route path="/leads/:id" element={<Guard page="leads"><LeadDetailPage /></Guard>} />
            <Route path="/pool" element={<Guard page="pool"><PoolPage /></Guard>} />
            <Route path="/segments" element={<Guard page="segments"><SegmentsPage /></Guard>} />
            <Route path="/segments/new" element={<Guard page="segments"><SegmentEditorPage /></Guard>} />
            <Route path="/segments/:id" element={<Guard page="segments"><SegmentEditorPage /></Guard>} />
            <Route path="/broadcasts" element={<Guard page="broadcasts"><BroadcastsPage /></Guard>} />
            <Route path="/funnel" element={<Guard page="funnel"><FunnelPage /></Guard>} />
            <Route path="/tasks" element={<Guard page="tasks"><TasksPage /></Guard>} />
            <Route path="/notifications" element={<Suspense fallback={<Spin style={{ display: 'block', margin: '80px auto' }} />}><NotificationsPage /></Suspense>} />
            <Route path="/jobs" element={<Guard page="jobs"><JobsPage /></Guard>} />
            <Route path="/wecom/contact-ways" element={<Guard page="wecom.contact-ways"><ContactWaysPage /></Guard>} />
            <Route path="/wecom/media" element={<Guard page="wecom.media"><WeComMediaPage /></Guard>} />
            <Route path="/journeys" element={<Guard page="journeys"><JourneysPage /></Guard>} />
            <Route path="/journeys/new" element={<Guard page="journeys"><JourneyEditorPage /></Guard>} />
            <Route path="/journeys/:id" element={<Guard page="journeys"><JourneyPage /></Guard>} />
            <Route path="/journeys/:id/edit" element={<Guard page="journeys"><JourneyEditorPage /></Guard>} />
            <Route path="/settings/fields" element={<Guard page="settings.fields"><FieldsPage /></Guard>} />
            <Route path="/settings/pipelines" element={<Guard page="settings.pipelines"><PipelinesPage /></Guard>} />
            <Route path="/settings/tags" element={<Guard page="settings.tags"><TagsPage /></Guard>} />
            <Route path="/settings/pools" element={<Guard page="settings.pools"><PoolsPage /></Guard>} />
            <Route path="/settings/rules" element={<Guard page="settings.rules"><RulesPage /></Guard>} />
            <Route path="/settings/roles" element={<Guard page="settings.roles"><RolesPage /></Guard>} />
            <Route path="/settings/territories" element={<Guard page="settings.territories"><TerritoriesPage /></Guard>} />
            <Route path="/settings/users" element={<Guard page="settings.users"><UsersPage /></Guard>} />
            <Route path="/settings/api-keys" element={<Guard page="settings.apiKeys"><ApiKeysPage /></Guard>} />
            <Route path="*" element={<Result status="404" title="404" subTitle={t('common.notFoundPage')} extra={<Button onClick={() => navigate(home)}>{t('common.backHome')}</Button>} />} />
          </Routes>
        </Content>
      </Layout>
    </Layout>
  );
}
