/**
 * @module customer
 * Customer 360, the agents' view: search a customer, then the profile and preferences, purchases,
 * every contact, survey answers with their comments, and one timeline of every touchpoint, beside the
 * customer models (priority, CLV, churn risk, health and its history).
 */
import { useState } from 'react';
import { api, type Row } from './api.ts';
import { CustomerModels } from './customer-models.tsx';
import { formatDate } from './format.ts';
import { t } from './i18n.ts';
import { RecordTable } from './record-table.tsx';
import type { UrlState } from './url.ts';
import { useAsync, useView } from './view.ts';

interface Customer360Data {
  customer: Row;
  orders: Row[];
  contacts: Row[];
  answers: Row[];
  subscriptions: Row[];
  timeline: { type: string; id: string; timestamp: string; title: string | null; channel: string | null }[];
}

/** The record lists of the view and the columns each shows. */
const LISTS: readonly (readonly ['orders' | 'contacts' | 'answers' | 'subscriptions', string[]])[] = [
  ['orders', ['timestamp', 'id', 'status', 'amount', 'currency', 'channel']],
  ['contacts', ['timestamp', 'id', 'channel', 'reason', 'agentId', 'resolvedAt', 'reopenCount']],
  ['answers', ['timestamp', 'surveyId', 'metric', 'score', 'touchpoint', 'comment']],
  ['subscriptions', ['timestamp', 'id', 'plan', 'status', 'mrr', 'startedAt', 'endedAt']],
];

const text = (v: unknown) =>
  v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

function Profile({ id }: { id: string }) {
  const { lang } = useView();
  const { data, error } = useAsync(id, () =>
    api<Customer360Data>(`/api/v1/customers/${encodeURIComponent(id)}`),
  );
  if (error) return <p role="alert">{error.message}</p>;
  if (!data) return <p aria-busy="true">{t('loading', lang)}</p>;
  const c = data.customer;
  const fields = [
    'id',
    'name',
    'email',
    'phone',
    'segment',
    'plan',
    'country',
    'language',
    'timeZone',
    'acquiredAt',
    'churnedAt',
  ];
  return (
    <div className="c360" data-customer={text(c.id)}>
      <section className="panel">
        <h2>{t('profile', lang)}</h2>
        <dl className="profile">
          {fields
            .filter((f) => c[f] !== undefined)
            .map((f) => (
              <div key={f}>
                <dt>{f}</dt>
                <dd data-field={f}>{f.endsWith('At') ? formatDate(text(c[f]), lang) : text(c[f])}</dd>
              </div>
            ))}
          {Object.entries((c.traits ?? {}) as Record<string, unknown>).map(([k, v]) => (
            <div key={`trait-${k}`}>
              <dt>{k}</dt>
              <dd>{text(v)}</dd>
            </div>
          ))}
        </dl>
      </section>
      <CustomerModels id={id} />
      {LISTS.map(([key, columns]) => (
        <section className="panel" key={key}>
          <h2>
            {t(key, lang)} ({data[key].length})
          </h2>
          <RecordTable rows={data[key]} columns={columns} caption={t(key, lang)} lang={lang} />
        </section>
      ))}
      <section className="panel">
        <h2>{t('timeline', lang)}</h2>
        <ol className="timeline">
          {data.timeline.map((e) => (
            <li key={`${e.type}:${e.id}`}>
              <time dateTime={e.timestamp}>{formatDate(e.timestamp, lang, true)}</time>{' '}
              <span className="kind">{e.type}</span> {text(e.title)}
              {e.channel ? ` · ${e.channel}` : ''}
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}

/** The customer 360 page: search on the left, the chosen customer (kept in the URL) on the right. */
export function Customer360({ url, setUrl }: { url: UrlState; setUrl: (patch: UrlState) => void }) {
  const { lang } = useView();
  const [q, setQ] = useState(url.q ?? '');
  const search = url.q ?? '';
  const { data, error } = useAsync(search, () =>
    api<{ customers: Row[] }>(`/api/v1/customers?q=${encodeURIComponent(search)}&limit=20`),
  );
  return (
    <div className="c360-layout">
      <section className="panel search">
        <form
          aria-label={t('search', lang)}
          onSubmit={(e) => {
            e.preventDefault();
            setUrl({ q });
          }}
        >
          <label>
            {t('search', lang)}
            <input type="search" name="q" value={q} onChange={(e) => setQ(e.target.value)} />
          </label>
          <button type="submit">{t('search', lang).split(' ')[0]}</button>
        </form>
        {error && <p role="alert">{error.message}</p>}
        <ul className="results" aria-busy={!data && !error}>
          {data?.customers.length === 0 && <li>{t('noResults', lang)}</li>}
          {data?.customers.map((c) => (
            <li key={text(c.id)}>
              <button
                type="button"
                className="link"
                aria-current={url.customer === c.id ? 'true' : undefined}
                onClick={() => setUrl({ customer: text(c.id) })}
              >
                {text(c.name) || text(c.id)}
              </button>{' '}
              <span className="muted small">
                {text(c.email)} · {text(c.segment)}
              </span>
            </li>
          ))}
        </ul>
      </section>
      {url.customer && <Profile id={url.customer} />}
    </div>
  );
}
