/**
 * @module main
 * The dashboard: sign-in, then a page of tiles and panels under global filters (range, comparison,
 * channel, touchpoint, segment) kept in the URL, in Italian or English.
 */
import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import {
  defaultRange,
  FILTER_OPTIONS,
  PAGE_IDS,
  PAGES,
  type PageId,
  presetOf,
  presetRange,
  RANGE_PRESETS,
} from '../../../src/views/dashboard.ts';
import { api, type Catalogue, query, type SessionInfo, setCsrf } from './api.ts';
import { Customer360 } from './customer.tsx';
import { Drill } from './drill.tsx';
import type { Lang } from './format.ts';
import { browserLang, t } from './i18n.ts';
import { PanelView } from './panels.tsx';
import { prefetchPages } from './prefetch.ts';
import { Tiles } from './tiles.tsx';
import { type UrlState, useUrlState } from './url.ts';
import { type DrillRequest, FILTER_DIMENSIONS, useAsync, type View, ViewContext } from './view.ts';
import './styles.css';

function SignIn({ lang, onSignedIn }: { lang: Lang; onSignedIn: (s: SessionInfo) => void }) {
  const [withKey, setWithKey] = useState(false);
  const [error, setError] = useState('');
  const submit = async (form: FormData) => {
    setError('');
    try {
      const body = withKey
        ? { key: form.get('key') }
        : { email: form.get('email'), password: form.get('password') };
      onSignedIn(await api<SessionInfo>('/api/v1/session', 'POST', body));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <main className="signin">
      <h1>Polso</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit(new FormData(e.currentTarget));
        }}
      >
        <h2>{t('signIn', lang)}</h2>
        {withKey ? (
          <label>
            {t('secretKey', lang)}
            <input name="key" type="password" autoComplete="off" required />
          </label>
        ) : (
          <>
            <label>
              {t('email', lang)}
              <input name="email" type="email" autoComplete="username" required />
            </label>
            <label>
              {t('password', lang)}
              <input name="password" type="password" autoComplete="current-password" required />
            </label>
          </>
        )}
        {error && <p role="alert">{error}</p>}
        <button type="submit">{t('signIn', lang)}</button>
        <button type="button" className="link" onClick={() => setWithKey(!withKey)}>
          {withKey ? t('withUser', lang) : t('withKey', lang)}
        </button>
      </form>
    </main>
  );
}

/** Values offered by a filter: those seen in the range (by a metric that reads the dimension). */
function useFilterOptions(from: string, to: string) {
  return useAsync(`${from}/${to}`, async () => {
    const choices = await Promise.all(
      FILTER_OPTIONS.map(async ([dim, metric]) => {
        const { rows } = await query({ metrics: [metric], groupBy: [dim], from, to });
        return [dim, rows.map((r) => String(r[dim] ?? '')).filter(Boolean)] as const;
      }),
    );
    return Object.fromEntries(choices) as Record<string, string[]>;
  });
}

function FiltersBar({ view, url, setUrl }: { view: View; url: UrlState; setUrl: (p: UrlState) => void }) {
  const { lang } = view;
  const options = useFilterOptions(view.from, view.to).data;
  const name = (dim: string) => view.catalogue.dimensions.find((d) => d.id === dim)?.name[lang] ?? dim;
  return (
    <form className="filters" aria-label={t('filters', lang)} onSubmit={(e) => e.preventDefault()}>
      <label>
        {t('period', lang)}
        <select
          value={presetOf(new Date(), view) ?? 'custom'}
          onChange={(e) => {
            const preset = RANGE_PRESETS.find((p) => p.id === e.target.value);
            if (preset) setUrl(presetRange(new Date(), preset.months));
          }}
        >
          {RANGE_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {t(p.id, lang)}
            </option>
          ))}
          <option value="custom" disabled>
            {t('custom', lang)}
          </option>
        </select>
      </label>
      <label>
        {t('from', lang)}
        <input
          type="date"
          value={view.from}
          onChange={(e) => e.target.value && setUrl({ from: e.target.value })}
        />
      </label>
      <label>
        {t('to', lang)}
        <input
          type="date"
          value={view.to}
          onChange={(e) => e.target.value && setUrl({ to: e.target.value })}
        />
      </label>
      <label>
        {t('compare', lang)}
        <select
          value={url.compare ?? 'previous_period'}
          onChange={(e) => setUrl({ compare: e.target.value })}
        >
          <option value="previous_period">{t('previous_period', lang)}</option>
          <option value="previous_year">{t('previous_year', lang)}</option>
          <option value="none">{t('none', lang)}</option>
        </select>
      </label>
      {FILTER_DIMENSIONS.map((dim) => (
        <label key={dim}>
          {name(dim)}
          <select name={dim} value={url[dim] ?? ''} onChange={(e) => setUrl({ [dim]: e.target.value })}>
            <option value="">{t('all', lang)}</option>
            {[...new Set([...(options?.[dim] ?? []), ...(url[dim] ? [url[dim]] : [])])].map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        </label>
      ))}
    </form>
  );
}

function Shell({ session, onSignOut }: { session: SessionInfo; onSignOut: () => void }) {
  const [url, setUrl] = useUrlState();
  const [drill, setDrill] = useState<DrillRequest | null>(null);
  const lang: Lang = url.lang === 'it' || url.lang === 'en' ? url.lang : browserLang();
  const page: PageId = (PAGE_IDS as readonly string[]).includes(url.page ?? '')
    ? (url.page as PageId)
    : 'overview';
  const catalogue = useAsync('catalogue', () => api<Catalogue>('/api/v1/metrics'));
  const range = defaultRange(new Date());
  const from = url.from ?? range.from;
  const to = url.to ?? range.to;
  const compare = url.compare === 'none' ? '' : (url.compare ?? 'previous_period');
  const filterKey = FILTER_DIMENSIONS.map((d) => url[d] ?? '').join('|');
  // biome-ignore lint/correctness/useExhaustiveDependencies: filterKey stands for the filter values read from url
  const filters = useMemo(
    () => Object.fromEntries(FILTER_DIMENSIONS.filter((d) => url[d]).map((d) => [d, [url[d]!]])),
    [filterKey],
  );
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = `Polso · ${t(page, lang)}`;
  }, [lang, page]);
  // The other pages of the same view, asked in the background once this one has its numbers.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the view is rebuilt from these values
  useEffect(() => {
    if (!catalogue.data) return;
    let stopped = false;
    const shown: View = { lang, from, to, compare, filters, catalogue: catalogue.data, drill: setDrill };
    void prefetchPages(shown, page, () => stopped);
    return () => {
      stopped = true;
    };
  }, [catalogue.data, page, from, to, compare, filters]);
  if (catalogue.error) return <p role="alert">{catalogue.error.message}</p>;
  if (!catalogue.data) return <p>{t('loading', lang)}</p>;
  const view: View = { lang, from, to, compare, filters, catalogue: catalogue.data, drill: setDrill };
  const spec = PAGES.find((p) => p.id === page);
  return (
    <ViewContext.Provider value={view}>
      <header className="top">
        <p className="brand">
          Polso <span className="muted small">{session.project.name}</span>
        </p>
        <nav aria-label={t('pages', lang)}>
          {PAGE_IDS.map((id) => (
            <a
              key={id}
              href={`?${new URLSearchParams({ ...url, page: id }).toString()}`}
              aria-current={id === page ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                setUrl({ page: id });
              }}
            >
              {t(id, lang)}
            </a>
          ))}
        </nav>
        <div className="session">
          <label>
            <span className="sr-only">{t('language', lang)}</span>
            <select
              value={lang}
              onChange={(e) => setUrl({ lang: e.target.value })}
              aria-label={t('language', lang)}
            >
              <option value="it">Italiano</option>
              <option value="en">English</option>
            </select>
          </label>
          <span className="muted small">{session.user.email ?? session.user.role}</span>
          <button type="button" onClick={onSignOut}>
            {t('signOut', lang)}
          </button>
        </div>
      </header>
      <FiltersBar view={view} url={url} setUrl={setUrl} />
      <main data-page={page}>
        <h1>{t(page, lang)}</h1>
        {spec ? (
          <>
            <Tiles ids={spec.tiles} />
            <div className="panels">
              {spec.panels.map((p) => (
                <PanelView key={p.id} panel={p} />
              ))}
            </div>
          </>
        ) : (
          <Customer360 url={url} setUrl={setUrl} />
        )}
      </main>
      {drill && <Drill request={drill} onClose={() => setDrill(null)} />}
    </ViewContext.Provider>
  );
}

function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  useEffect(() => {
    api<SessionInfo | { authenticated: false }>('/api/v1/session').then(
      (s) => {
        if (!s.authenticated) return setSession(null);
        setCsrf(s.csrfToken);
        setSession(s);
      },
      () => setSession(null),
    );
  }, []);
  const asked = new URLSearchParams(window.location.search).get('lang');
  const lang: Lang = asked === 'en' || asked === 'it' ? asked : browserLang();
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  if (session === undefined) return <p>{t('loading', lang)}</p>;
  if (session === null)
    return (
      <SignIn
        lang={lang}
        onSignedIn={(s) => {
          setCsrf(s.csrfToken);
          setSession(s);
        }}
      />
    );
  return (
    <Shell
      session={session}
      onSignOut={async () => {
        await api('/api/v1/session', 'DELETE');
        setSession(null);
      }}
    />
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
