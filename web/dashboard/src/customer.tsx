/**
 * @module customer
 * Customer 360, the agents' view: search a customer, then the profile and preferences, purchases,
 * every contact, survey answers with their comments, and one timeline of every touchpoint. CLV and
 * health come from the customer models; until Polso has them they say so.
 */
import { useState } from 'react';
import { api, type Row } from './api.ts';
import { formatDate, formatNumber } from './format.ts';
import { t } from './i18n.ts';
import { NotAvailable } from './tiles.tsx';
import type { UrlState } from './url.ts';
import { metricOf, useAsync, useView } from './view.ts';

interface Customer360Data {
  customer: Row;
  orders: Row[];
  contacts: Row[];
  answers: Row[];
  subscriptions: Row[];
  timeline: { type: string; id: string; timestamp: string; title: string | null; channel: string | null }[];
}

const text = (v: unknown) =>
  v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

function RecordTable({ rows, columns, caption }: { rows: Row[]; columns: string[]; caption: string }) {
  const { lang } = useView();
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region takes focus so keyboard users can scroll it
    <section className="scroll" aria-label={caption} tabIndex={0}>
      <table className="records">
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={text(r.id)}>
              {columns.map((c) => (
                <td key={c}>
                  {c === 'timestamp'
                    ? formatDate(text(r[c]), lang, true)
                    : c === 'amount'
                      ? formatNumber(Number(r[c] ?? 0), lang, 2)
                      : text(r[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Profile({ id }: { id: string }) {
  const view = useView();
  const { lang } = view;
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
      <div className="tiles">
        {metricOf(view, 'clv') ? null : <NotAvailable id="clv" title={t('clv', lang)} />}
        {metricOf(view, 'health_score') ? null : <NotAvailable id="health_score" title={t('health', lang)} />}
      </div>
      <section className="panel">
        <h2>
          {t('orders', lang)} ({data.orders.length})
        </h2>
        <RecordTable
          rows={data.orders}
          columns={['timestamp', 'id', 'status', 'amount', 'currency', 'channel']}
          caption={t('orders', lang)}
        />
      </section>
      <section className="panel">
        <h2>
          {t('contacts', lang)} ({data.contacts.length})
        </h2>
        <RecordTable
          rows={data.contacts}
          columns={['timestamp', 'id', 'channel', 'reason', 'agentId', 'resolvedAt', 'reopenCount']}
          caption={t('contacts', lang)}
        />
      </section>
      <section className="panel">
        <h2>
          {t('answers', lang)} ({data.answers.length})
        </h2>
        <RecordTable
          rows={data.answers}
          columns={['timestamp', 'surveyId', 'metric', 'score', 'touchpoint', 'comment']}
          caption={t('answers', lang)}
        />
      </section>
      <section className="panel">
        <h2>
          {t('subscriptions', lang)} ({data.subscriptions.length})
        </h2>
        <RecordTable
          rows={data.subscriptions}
          columns={['timestamp', 'id', 'plan', 'status', 'mrr', 'startedAt', 'endedAt']}
          caption={t('subscriptions', lang)}
        />
      </section>
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
