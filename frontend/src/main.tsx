import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { Provider as UrqlProvider } from 'urql';
import { createClient, setToken, UNAUTHENTICATED_EVENT } from './api/client';
import { prefetchLeads, renderWhenFirstPage } from './api/prefetch';
import { hasListState } from './lib/leadsUrl';
import { takeSidebarSignIn } from './lib/wecomSidebar';
import { I18nProvider } from './i18n';
import { cachedViewer, SessionProvider } from './auth/session';
import { App } from './App';
// antd's zero-runtime mode: its styles come from this static file instead of
// being generated in the browser on first render (App.tsx sets zeroRuntime).
import 'antd/dist/antd.css';
import './styles.css';

// When the app's code has been fetched and evaluated (the browser test reports it).
performance.mark('scrm:app:start');
// The WeCom sidebar's sign-in hands its token over in the fragment: taken
// before the session reads the stored token.
takeSidebarSignIn(window.location, setToken);
// The client reports a refused token as an event; the session signs out on it.
const client = createClient(() => window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT)));
// A /leads URL carrying the list's state (a filter, a later page) asks for other rows.
const firstPage = prefetchLeads(client, window.location.pathname, hasListState(window.location.search) ? null : cachedViewer());

// On a reload of the leads list the first render waits (briefly) for its rows.
renderWhenFirstPage(firstPage, () => createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <UrqlProvider value={client}>
        <SessionProvider>
          <BrowserRouter>
            <App />
          </BrowserRouter>
        </SessionProvider>
      </UrqlProvider>
    </I18nProvider>
  </StrictMode>,
));
