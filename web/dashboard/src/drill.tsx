/**
 * @module drill
 * The records behind a data point, in a modal dialog: the metric's own records for the point's period
 * and filters, newest first, as plain text.
 */
import { useEffect, useRef } from 'react';
import { api, type Row } from './api.ts';
import { formatDate, formatNumber } from './format.ts';
import { t } from './i18n.ts';
import { RecordTable } from './record-table.tsx';
import { type DrillRequest, metricOf, useAsync, useView } from './view.ts';

const HIDDEN = new Set(['type', 'traits', 'properties', 'items', 'updatedAt']);

export function Drill({ request, onClose }: { request: DrillRequest; onClose: () => void }) {
  const view = useView();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const { data, error } = useAsync(JSON.stringify(request), () =>
    api<{ total: number; records: Row[] }>('/api/v1/query/records', 'POST', {
      metrics: [request.metric],
      from: request.from,
      to: request.to,
      ...(Object.keys(request.filters).length > 0 ? { filters: request.filters } : {}),
      ...(request.band ? { band: request.band } : {}),
      limit: 100,
    }),
  );
  const metric = metricOf(view, request.metric);
  const records = data?.records ?? [];
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))]
    .filter((k) => !HIDDEN.has(k))
    .slice(0, 12);
  return (
    <dialog
      ref={ref}
      className="drill"
      onClose={onClose}
      aria-labelledby="drill-title"
      data-total={data?.total ?? ''}
    >
      <header>
        <h2 id="drill-title">
          {t('recordsOf', view.lang)}: {request.title}
        </h2>
        <button type="button" onClick={() => ref.current?.close()}>
          {t('close', view.lang)}
        </button>
      </header>
      <p className="muted small">
        {metric?.formula} · {formatDate(request.from, view.lang)} – {formatDate(request.to, view.lang)}
        {Object.entries(request.filters).map(([k, v]) => ` · ${k} = ${v.join(', ')}`)}
      </p>
      {error && <p role="alert">{error.message}</p>}
      {!data && !error && <p>{t('loading', view.lang)}</p>}
      {data && (
        <>
          <p>
            {t('total', view.lang)}:{' '}
            <strong className="drill-total">{formatNumber(data.total, view.lang)}</strong> (
            {formatNumber(records.length, view.lang)} {t('shown', view.lang)})
          </p>
          <RecordTable rows={records} columns={columns} caption={t('records', view.lang)} lang={view.lang} />
        </>
      )}
    </dialog>
  );
}
