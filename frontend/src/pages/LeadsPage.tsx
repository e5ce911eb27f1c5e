import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { App, Badge, Button, Empty, Input, Select, Space, Typography } from 'antd';
import { FilterOutlined, ImportOutlined, PlusOutlined, LeftOutlined, RightOutlined, ReloadOutlined } from '@ant-design/icons';
import { useQuery } from 'urql';
import { useSearchParams } from 'react-router';
import { FIRST_PAGE, leadsDocument, leadsPrefetched } from '../api/prefetch';
import { LeadsTotalDoc } from '../api/ops';
import { useFieldDefs, usePipelines, usePools, useTags, useTerritories, useUsers } from '../api/hooks';
import { useSession, useViewer } from '../auth/session';
import { useT } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { useMobile } from '../lib/useMobile';
import { LeadCards } from '../components/leads/LeadCards';
import { QueryError } from '../components/QueryError';
import { LeadFilters } from '../components/leads/LeadFilters';
import { BulkActions } from '../components/leads/BulkActions';
import { EnrollAction } from '../components/leads/EnrollAction';
import { LeadFormModal } from '../components/leads/LeadFormModal';
import { ViewBar } from '../components/leads/ViewBar';
import { ExportButton } from '../components/leads/ExportButton';
import { columnOptions, customColumns, DEFAULT_COLUMNS, leadColumns, liveColumns, type LeadRow } from '../components/leads/columns';
import { LeadsTable } from '../components/leads/LeadsTable';
import { activeCount, reconcileFilter, toWhere, type LeadFilter } from '../lib/leadFilter';
import { loadColumns, storeColumns, useSavedViews, type LeadView, type SortState } from '../lib/savedViews';
import { apiErrors, errorText } from '../api/errors';
import { isStaleSchema } from '../lib/typedFields';
import { fmtNumber } from '../lib/format';
import { fromSearch, toSearch, type LeadsUrlState } from '../lib/leadsUrl';
import { rowsPerScreen, useFirstScreen } from '../lib/useFirstScreen';
import type { LeadOrderField } from '../gql/graphql';

const PAGE_SIZES = [20, 50, 100, 200];
const URL_DEFAULTS = { pageSize: FIRST_PAGE, pageSizes: PAGE_SIZES };

/** The list's order variables for sort (newest first without one); a custom field's LeadOrderField value is the typed schema's. */
function orderOf(sort: SortState | null) {
  if (!sort) return { orderBy: { field: 'CREATED_AT' as LeadOrderField, direction: 'DESC' as const } };
  return { orderBy: { field: sort.field as LeadOrderField, direction: sort.direction } };
}

// The bulk bar stays in view over the cards while some are selected (phone).
const STICKY_BAR = { position: 'sticky', top: 0, zIndex: 3, padding: '6px 0', background: 'var(--ant-color-bg-layout, #f5f5f5)' } as const;

const sameColumns = (a: string[], b: string[]) => a.length === b.length && a.every((c, i) => c === b[i]);
let firstQuery = true;

/** performance marks of the first render of the list, read by the browser test. */
let firstPageMarked = false;
let firstPageCompleted = false;

// At 1440×900 the table's first row starts 288 px down and rows of size
// "middle" are 50 px high (13 rows in view); a phone's cards start 406 px down
// and are 123-142 px high. A new page draws what the window can show first
// (over-counted a little: the bars above the list vary).
const TABLE_ROW_PX = 48;
const TABLE_TOP_PX = 200;
const CARD_PX = 120;

// The rep's workload strip of 我的线索, loaded only when shown.
const WorkloadBar = lazy(() => import('../components/WorkloadBar').then((m) => ({ default: m.WorkloadBar })));
// The action on all matching leads, loaded when opened.
const BulkAllModal = lazy(() => import('../components/leads/BulkAllModal').then((m) => ({ default: m.BulkAllModal })));
// The CSV import, loaded when opened.
const ImportModal = lazy(() => import('../components/leads/ImportModal').then((m) => ({ default: m.ImportModal })));

export function LeadsPage() {
  const t = useT();
  const viewer = useViewer();
  const { can } = useSession();
  const mobile = useMobile();
  const { message } = App.useApp();
  const ws = viewer.workspace.id;

  // The list first: what only the filters, bulk actions and the new-lead form
  // need is read once the first rows are on screen.
  const [settled, setSettled] = useState(false);
  const { defs, fetching: defsFetching, error: defsError, refetch: refetchDefs } = useFieldDefs();
  const [importing, setImporting] = useState(false);
  const { tags, groups: tagGroups } = useTags(settled || importing);
  const { stages } = usePipelines(settled);
  const { users } = useUsers(settled);
  const { pools } = usePools(settled);
  const { territories } = useTerritories(settled);

  // The list's state lives in the URL too (lib/leadsUrl.ts): Back, a reload
  // and a shared link open the list as it was.
  const [searchParams, setSearchParams] = useSearchParams();
  const [initial] = useState(() => fromSearch(searchParams.toString(), URL_DEFAULTS));
  const [filter, setFilter] = useState<LeadFilter>(initial.filter);
  const [columns, setColumns] = useState<string[]>(() => initial.columns ?? loadColumns(ws, viewer.id) ?? DEFAULT_COLUMNS);
  const [sort, setSort] = useState<SortState | null>(initial.sort);
  const [pageSize, setPageSize] = useState(initial.pageSize);
  const [cursors, setCursors] = useState<(string | null)[]>(initial.cursors); // after-cursor of each visited page
  const [page, setPage] = useState(initial.page);
  const [selected, setSelected] = useState<string[]>([]);
  // "All N matching": the whole page selected, then every lead of the filter.
  const [allChosen, setAllChosen] = useState(false);
  const [bulkAllOpen, setBulkAllOpen] = useState(false);
  const [viewID, setViewID] = useState<string | null>(initial.viewID);
  const [creating, setCreating] = useState(false);
  const [showFilters, setShowFilters] = useState(() => !!initial.filter.segmentID);

  // The state as the field definitions serve it: an earlier version's
  // attribute conditions become typed ones, and a custom field archived or
  // masked since leaves the filter, the columns and the sort. Until the
  // definitions are known the state is sent as it is (the API refuses a
  // field it no longer has, and the list retries below); only conditions
  // of an earlier version wait for them.
  const defsKnown = (defs.length > 0 || !defsFetching) && !defsError;
  const options = useMemo(() => columnOptions(t, defs), [t, defs]);
  const shownFilter = useMemo(() => (defsKnown ? reconcileFilter(filter, defs) : filter), [defsKnown, filter, defs]);
  const shownColumns = useMemo(() => {
    if (!defsKnown) return columns;
    const live = liveColumns(columns, defs);
    return sameColumns(live, columns) ? columns : live;
  }, [defsKnown, columns, defs]);
  const shownSort = defsKnown && sort && !options.some((o) => o.sort === sort.field) ? null : sort;
  useEffect(() => {
    if (shownFilter !== filter) setFilter(shownFilter);
    if (shownColumns !== columns) setColumns(shownColumns);
    if (shownSort !== sort) setSort(shownSort);
  }, [shownFilter, shownColumns, shownSort]); // eslint-disable-line react-hooks/exhaustive-deps
  const waitForDefs = !defsKnown && !!filter.attributes?.length;

  const where = useMemo(() => toWhere(shownFilter, viewer.id), [shownFilter, viewer.id]);
  const order = useMemo(() => orderOf(shownSort), [shownSort]);

  // A new filter, sort or page size starts again at the first page.
  const resetKey = JSON.stringify([where, order, pageSize]);
  const lastReset = useRef(resetKey);
  useEffect(() => {
    if (lastReset.current === resetKey) return;
    lastReset.current = resetKey;
    setCursors([null]);
    setPage(0);
    setSelected([]);
  }, [resetKey]);

  // State -> URL, replacing the entry: Back leaves the list instead of
  // stepping through every filter change.
  const search = toSearch(
    { filter, sort, pageSize, page, cursors, viewID, columns: sameColumns(columns, DEFAULT_COLUMNS) ? null : columns },
    URL_DEFAULTS,
  );
  const current = searchParams.toString();
  const written = useRef(current);
  useEffect(() => {
    written.current = search;
    if (search !== current) setSearchParams(search, { replace: true });
  }, [search]); // eslint-disable-line react-hooks/exhaustive-deps
  // URL -> state, when the URL changes under the mounted list (the menu's
  // 线索 link, Back or Forward between two states of the list).
  useEffect(() => {
    if (current === written.current) return;
    written.current = current;
    const st: LeadsUrlState = fromSearch(current, URL_DEFAULTS);
    lastReset.current = JSON.stringify([toWhere(defsKnown ? reconcileFilter(st.filter, defs) : st.filter, viewer.id), orderOf(st.sort), st.pageSize]);
    setFilter(st.filter);
    setSort(st.sort);
    setPageSize(st.pageSize);
    setCursors(st.cursors);
    setPage(st.page);
    setViewID(st.viewID);
    setColumns(st.columns ?? loadColumns(ws, viewer.id) ?? DEFAULT_COLUMNS);
    setSelected([]);
  }, [current]); // eslint-disable-line react-hooks/exhaustive-deps

  // The first page may already be on its way (api/prefetch.ts): read it from the cache.
  const [initialPolicy] = useState(() => (firstQuery && leadsPrefetched() ? ('cache-first' as const) : ('cache-and-network' as const)));
  firstQuery = false;
  // The custom fields among the columns are selected as typed fields.
  const typedKeys = customColumns(shownColumns).join(',');
  const doc = useMemo(() => leadsDocument(shownColumns), [typedKeys]); // eslint-disable-line react-hooks/exhaustive-deps
  const leadTypes = useMemo(() => ({ additionalTypenames: ['Lead'] }), []);
  const [res, refetchPage] = useQuery({
    query: doc,
    variables: { first: pageSize, after: cursors[page] ?? null, where, ...order },
    context: leadTypes,
    requestPolicy: initialPolicy,
    pause: waitForDefs,
  });
  // The count comes in its own request, so the rows do not wait for it, and
  // on opening only once the first page is drawn (settled): a large workspace's count
  // (a parallel scan at 1,000,000 leads) would otherwise take the CPU the
  // first render needs on a small machine. Later pages and filters ask for
  // both at once.
  const [countRes, refetchCount] = useQuery({
    query: LeadsTotalDoc,
    variables: { where },
    context: leadTypes,
    requestPolicy: 'cache-and-network',
    pause: waitForDefs || !settled,
  });
  const refetch = useCallback((opts: { requestPolicy: 'network-only' }) => {
    refetchPage(opts);
    refetchCount(opts);
  }, [refetchPage, refetchCount]);
  // A custom field archived since the definitions were read is no longer in
  // the schema (GRAPHQL_VALIDATION_FAILED): read them again, which leaves it
  // out of the columns, filter and sort above, so the list asks again;
  // once for each request.
  const requestKey = JSON.stringify([typedKeys, where, order]);
  const stale = isStaleSchema(apiErrors(res.error).map((e) => e.code));
  const [retried, setRetried] = useState<string | null>(null);
  useEffect(() => {
    if (!stale || retried === requestKey) return;
    setRetried(requestKey);
    refetchDefs({ requestPolicy: 'network-only' });
  }, [stale, requestKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const retrying = stale && (retried !== requestKey || defsFetching);
  const conn = res.data?.leads;
  const rows = useMemo(() => (conn?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])) as LeadRow[], [conn]);
  const names = useMemo(() => Object.fromEntries(rows.map((r) => [r.id, r.name || r.id])), [rows]);

  // The rows in view first, the rest of the page a frame later.
  const { drawn, complete } = useFirstScreen(rows, mobile ? rowsPerScreen(CARD_PX) : rowsPerScreen(TABLE_ROW_PX, TABLE_TOP_PX));

  useEffect(() => {
    if (!conn || settled) return;
    // After React committed the first screen of rows (the browser test reads
    // this mark), then the rest of the page's rows, the page's other reads
    // start (the count, the filters' choices, saved views): their answers
    // would otherwise render the page again while its rows are still drawn.
    const frame = requestAnimationFrame(() => {
      if (!firstPageMarked && rows.length > 0) {
        firstPageMarked = true;
        performance.mark('scrm:leads:first-page-rendered', { detail: { rows: rows.length, drawn: drawn.length } });
      }
      if (complete) setSettled(true);
    });
    return () => cancelAnimationFrame(frame);
  }, [conn, rows, drawn, complete, settled]);
  useEffect(() => {
    // Every row of the first page committed (the browser test reports it too).
    if (firstPageCompleted || !complete || rows.length === 0) return;
    firstPageCompleted = true;
    performance.mark('scrm:leads:first-page-complete', { detail: { rows: rows.length } });
  }, [complete, rows]);

  const counted = countRes.data?.leads.totalCount;
  const total = counted ?? 0;
  const totalText = counted === undefined ? '…' : fmtNumber(counted);
  const canBulkAll = can('lead.bulk', 'write') && (can('lead.tag', 'write') || can('lead', 'assign') || can('lead', 'write'));
  const allMatching = allChosen && selected.length > 0;
  const pages = counted === undefined ? '…' : Math.max(1, Math.ceil(counted / pageSize));
  const next = () => {
    if (!conn?.pageInfo.hasNextPage) return;
    setCursors((c) => {
      const copy = c.slice(0, page + 1);
      copy.push(conn.pageInfo.endCursor ?? null);
      return copy;
    });
    setPage((p) => p + 1);
    setSelected([]);
  };
  const prev = () => {
    if (page === 0) return;
    setPage((p) => p - 1);
    setSelected([]);
  };

  const setCols = (c: string[]) => {
    const withName = c.includes('name') ? c : ['name', ...c];
    setColumns(withName);
    storeColumns(ws, viewer.id, withName);
  };
  // The table's columns depend on the field definitions only through the
  // custom-field columns on show: the definitions' answer (usually just after
  // the first rows) must not make every cell of the page render again.
  const shownKey = JSON.stringify(defs.filter((d) => shownColumns.includes(d.key)));
  const shownDefs = useMemo(() => defs.filter((d) => shownColumns.includes(d.key)), [shownKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const tableColumns = useMemo(() => leadColumns(shownColumns, t, shownDefs, shownSort), [shownColumns, t, shownDefs, shownSort]);

  // Saved views are read once the first rows are on screen.
  const savedViews = useSavedViews(ws, viewer.id, settled, (n, failed) => {
    if (n > 0) message.success(t('views.moved', { n }));
    if (failed > 0) message.warning(t('views.moveFailed', { n: failed }));
  });
  const views = savedViews.views;

  const applyView = (v: LeadView) => {
    setViewID(v.id);
    setFilter(v.filter);
    setCols(v.columns);
    setSort(v.sort ?? null);
    if (v.pageSize) setPageSize(v.pageSize);
  };

  return (
    <div>
      <PageTitle
        title={filter.owner === 'me' ? t('nav.myLeads') : t('leads.title')}
        sub={
          filter.owner === 'me' && can('lead', 'claim') ? (
            <Space wrap size="large">
              {t('leads.count', { n: totalText })}
              <Suspense fallback={null}><WorkloadBar /></Suspense>
            </Space>
          ) : t('leads.count', { n: totalText })
        }
        extra={
          <>
            <ViewBar
              views={views}
              currentID={viewID}
              onApply={applyView}
              onSave={async (name, shared) => {
                const r = await savedViews.save(name, { filter: shownFilter, columns: shownColumns, sort: shownSort, pageSize }, shared);
                if (!r.ok) {
                  message.error(errorText(r.error));
                  return false;
                }
                setViewID(r.view?.id ?? null);
                message.success(t('views.saved', { name }));
                return true;
              }}
              onDelete={async (id) => {
                const name = views.find((v) => v.id === id)?.name ?? '';
                const r = await savedViews.remove(id);
                if (!r.ok) {
                  message.error(errorText(r.error));
                  return;
                }
                setViewID(null);
                message.success(t('views.deleted', { name }));
              }}
              onShare={async (id, shared) => {
                const name = views.find((v) => v.id === id)?.name ?? '';
                const r = await savedViews.share(id, shared);
                if (!r.ok) message.error(errorText(r.error));
                else message.success(t(shared ? 'views.sharedNow' : 'views.unsharedNow', { name }));
              }}
              canManage={can('user', 'manage')}
              columns={shownColumns}
              options={options}
              onColumns={setCols}
            />
            <Button icon={<ReloadOutlined />} onClick={() => refetch({ requestPolicy: 'network-only' })} aria-label={t('common.refresh')} />
            {can('lead.import', 'write') && (
              <Button icon={<ImportOutlined />} onClick={() => setImporting(true)} data-testid="import-leads" aria-label={t('import.button')}>
                {mobile ? null : t('import.button')}
              </Button>
            )}
            <ExportButton where={where} columns={shownColumns} fieldKeys={customColumns(shownColumns)} total={total} iconOnly={mobile} />
            {can('lead', 'write') && (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="new-lead">
                {t('leads.new')}
              </Button>
            )}
          </>
        }
      />
      <div className="scrm-toolbar" style={{ marginBottom: 12 }}>
        <NameSearch
          value={filter.q ?? ''}
          onChange={(q) => {
            setFilter((f) => ({ ...f, q }));
            setViewID(null);
          }}
        />
        <Badge count={activeCount(filter)} size="small">
          <Button icon={<FilterOutlined />} type={showFilters ? 'primary' : 'default'} ghost={showFilters} onClick={() => setShowFilters((s) => !s)} data-testid="filter-toggle">
            {t('filters.toggle')}
          </Button>
        </Badge>
      </div>
      {showFilters && <LeadFilters
        value={shownFilter}
        onChange={(f) => {
          setFilter(f);
          setViewID(null);
        }}
        defs={defs}
        tags={tags}
        stages={stages}
        users={users}
        pools={pools}
        showOwner={can('lead', 'assign') || can('user', 'read')}
        showSegments={can('segment', 'read')}
      />}
      {waitForDefs && defsError ? (
        // The list waits for the definitions to read an earlier version's
        // conditions: their failure is the list's.
        <QueryError error={defsError} retry={() => refetchDefs({ requestPolicy: 'network-only' })} />
      ) : (
        <QueryError error={retrying ? undefined : res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      )}
      <div style={{ minHeight: 32, marginBottom: 8, display: 'flex', alignItems: 'center', justifyContent: 'space-between', ...(mobile && selected.length > 0 ? STICKY_BAR : {}) }} data-testid="bulk-bar">
        {allMatching ? (
          <Space wrap data-testid="bulk-all-bar">
            <Typography.Text strong>{t('bulkAll.allSelected', { n: fmtNumber(total) })}</Typography.Text>
            <Button size="small" type="primary" onClick={() => setBulkAllOpen(true)} data-testid="bulk-all-open">{t('bulkAll.act')}</Button>
            <EnrollAction where={where} total={total} onDone={() => refetch({ requestPolicy: 'network-only' })} />
            <Button size="small" type="link" onClick={() => setSelected([])}>{t('bulkAll.clear')}</Button>
          </Space>
        ) : selected.length > 0 ? (
          <Space wrap>
            <BulkActions ids={selected} names={names} tags={tags} users={users} onDone={() => { setSelected([]); refetch({ requestPolicy: 'network-only' }); }} />
            <EnrollAction where={{ idIn: selected }} total={selected.length} names={names} onDone={() => refetch({ requestPolicy: 'network-only' })} />
            {canBulkAll && selected.length === rows.length && total > rows.length && (
              <Typography.Text>
                {t('bulkAll.pageSelected', { n: selected.length })}
                <Button type="link" size="small" onClick={() => setAllChosen(true)} data-testid="select-all-matching">
                  {t('bulkAll.selectAll', { n: fmtNumber(total) })}
                </Button>
              </Typography.Text>
            )}
          </Space>
        ) : (
          <Typography.Text type="secondary">{activeCount(filter) > 0 ? t('leads.filtered', { n: activeCount(filter) }) : ''}</Typography.Text>
        )}
      </div>
      {mobile ? (
        <LeadCards selected={selected} onSelect={(ids) => { setAllChosen(false); setSelected(ids); }} rows={drawn} loading={res.fetching && !res.data} empty={res.fetching ? ' ' : <Empty description={activeCount(filter) > 0 ? t('leads.noMatch') : t('leads.empty')} />} />
      ) : (
      <LeadsTable
        columns={tableColumns}
        rows={drawn}
        loading={res.fetching && !res.data}
        data-testid="leads-table"
        selected={selected}
        onSelect={(ids) => { setAllChosen(false); setSelected(ids); }}
        onSort={(key, order) => {
          const opt = options.find((o) => o.key === key);
          if (!order || !opt?.sort) setSort(null);
          else setSort({ field: opt.sort, direction: order === 'ascend' ? 'ASC' : 'DESC' });
        }}
        empty={res.fetching ? ' ' : <Empty description={activeCount(filter) > 0 ? t('leads.noMatch') : t('leads.empty')} />}
      />
      )}
      <div style={{ display: 'flex', justifyContent: 'flex-end', alignItems: 'center', gap: 12, marginTop: 12 }} data-testid="leads-pager">
        <Typography.Text type="secondary">{t('leads.page', { page: page + 1, pages })}</Typography.Text>
        <Button icon={<LeftOutlined />} disabled={page === 0 || res.fetching} onClick={prev} aria-label={t('common.prev')} />
        <Button icon={<RightOutlined />} disabled={!conn?.pageInfo.hasNextPage || res.fetching} onClick={next} aria-label={t('common.next')} data-testid="leads-next" />
        <Select value={pageSize} onChange={setPageSize} options={PAGE_SIZES.map((n) => ({ value: n, label: t('leads.perPage', { n }) }))} style={{ width: 110 }} />
      </div>
      {importing && (
        <Suspense fallback={null}>
          <ImportModal
            open={importing}
            defs={defs}
            tagGroups={tagGroups}
            onClose={(imported) => {
              setImporting(false);
              if (imported) refetch({ requestPolicy: 'network-only' });
            }}
          />
        </Suspense>
      )}
      {bulkAllOpen && (
        <Suspense fallback={null}><BulkAllModal
          open
          onClose={() => setBulkAllOpen(false)}
          onDone={() => { setSelected([]); refetch({ requestPolicy: 'network-only' }); }}
          where={where}
          total={total}
          tags={tags}
          users={users}
          stages={stages}
        /></Suspense>
      )}
      {/* The new-lead form (a closed modal) is mounted once the first rows are on screen. */}
      {(settled || creating) && <LeadFormModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={() => refetch({ requestPolicy: 'network-only' })}
        defs={defs}
        tags={tags}
        territories={territories}
        showTerritory={can('territory', 'read')}
      />}
    </div>
  );
}

/** The name box: the list follows after a pause in typing, not on every key. */
function NameSearch({ value, onChange }: { value: string; onChange: (q: string) => void }) {
  const t = useT();
  const [q, setQ] = useState(value);
  useEffect(() => setQ(value), [value]);
  useEffect(() => {
    if (q === value) return;
    const h = setTimeout(() => onChange(q), 350);
    return () => clearTimeout(h);
  }, [q]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <Input.Search
      allowClear
      style={{ width: 280 }}
      placeholder={t('filters.name')}
      value={q}
      onChange={(e) => setQ(e.target.value)}
      onSearch={(v) => onChange(v)}
      data-testid="quick-search"
    />
  );
}
