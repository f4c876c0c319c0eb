/**
 * @module customer-models
 * The customer 360's models panel: the routing priority with its reasons, the predicted CLV with
 * P(alive) and expected purchases, the churn risk with the attributes that move it, and the health
 * score now — each component's points — and at the end of each of the last twelve months. Everything
 * comes from `GET /api/v1/customers/{id}/models`; every value is rendered as text.
 */
import { type ReactNode, useMemo } from 'react';
import { api, type CustomerModelsData, type HealthPoint } from './api.ts';
import { Chart } from './chart.tsx';
import { formatDate, formatNumber, formatValue, type Lang } from './format.ts';
import { t, type Word } from './i18n.ts';
import { useAsync, useView } from './view.ts';

/** A stored model's tile: its values and fit date, or that it has no estimate and the command making one. */
function ModelTile(props: {
  model: 'clv' | 'churn_risk';
  title: string;
  fittedAt: string | undefined;
  lang: Lang;
  children: ReactNode;
}) {
  const { lang } = props;
  return (
    <div className="tile" data-model={props.model}>
      <h3>{props.title}</h3>
      {props.fittedAt ? (
        <>
          {props.children}
          <p className="muted small">
            {t('fittedAt', lang)} {formatDate(props.fittedAt, lang)}
          </p>
        </>
      ) : (
        <p className="na">
          {t('notFitted', lang)} (polso fit {props.model === 'clv' ? 'clv' : 'churn'})
        </p>
      )}
    </div>
  );
}

function HealthHistory({ history, lang }: { history: HealthPoint[]; lang: Lang }) {
  const option = useMemo(
    () => ({
      grid: { left: 36, right: 8, top: 8, bottom: 24 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: history.map((h) => h.period) },
      yAxis: { type: 'value', min: 0, max: 100 },
      series: [{ type: 'line', name: t('health', lang), data: history.map((h) => h.score) }],
    }),
    [history, lang],
  );
  return <Chart option={option} label={t('healthHistory', lang)} height={160} />;
}

/** The models panel of one customer. */
export function CustomerModels({ id }: { id: string }) {
  const { lang } = useView();
  const { data, error } = useAsync(id, () =>
    api<CustomerModelsData>(`/api/v1/customers/${encodeURIComponent(id)}/models`),
  );
  if (error) return <p role="alert">{error.message}</p>;
  if (!data) return <p aria-busy="true">{t('loading', lang)}</p>;
  const { clv, churnRisk, health, priority } = data;
  const current = health.current;
  return (
    <section className="panel models" aria-label={t('models', lang)}>
      <h2>{t('models', lang)}</h2>
      <div className="tiles">
        <div className="tile" data-model="priority">
          <h3>{t('priority', lang)}</h3>
          <p className="value">{priority.priority}</p>
          <ul className="small">
            {(
              [
                ['tier', priority.tier],
                ['risk', priority.risk],
                ['health', priority.health],
              ] as const
            )
              .filter(([, v]) => v !== null)
              .map(([k, v]) => (
                <li key={k} data-reason={k}>
                  {t(k, lang)}: {t(v as Word, lang)}
                </li>
              ))}
          </ul>
        </div>
        <ModelTile model="clv" title={t('clv', lang)} fittedAt={clv?.fittedAt} lang={lang}>
          {clv && (
            <>
              <p className="value">{formatValue(clv.value, 'currency', lang)}</p>
              <p className="small">
                {t('pAlive', lang)}{' '}
                {formatValue(clv.pAlive === null ? null : 100 * clv.pAlive, 'percent', lang)} ·{' '}
                {t('expectedPurchases', lang)} {formatValue(clv.expectedPurchases, 'score', lang)}
              </p>
            </>
          )}
        </ModelTile>
        <ModelTile model="churn_risk" title={t('churnRisk', lang)} fittedAt={churnRisk?.fittedAt} lang={lang}>
          {churnRisk && (
            <>
              <p className="value">
                {formatValue(churnRisk.value === null ? null : 100 * churnRisk.value, 'percent', lang)}
              </p>
              <ul className="small">
                {churnRisk.top.map((f) => (
                  <li key={f.column}>
                    {f.column} {f.contribution > 0 ? '↑' : '↓'}{' '}
                    {formatNumber(Math.abs(f.contribution), lang, 2)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </ModelTile>
        <div className="tile" data-model="health_score">
          <h3>{t('health', lang)}</h3>
          {current ? (
            <p className="value">{formatValue(current.score, 'points', lang)}</p>
          ) : (
            <p className="na">{t('notActive', lang)}</p>
          )}
        </div>
      </div>
      {current && (
        <table className="health-parts">
          <caption>{t('healthParts', lang)}</caption>
          <thead>
            <tr>
              <th scope="col">{t('component', lang)}</th>
              <th scope="col">{t('value', lang)}</th>
              <th scope="col">{t('weight', lang)}</th>
              <th scope="col">{t('points', lang)}</th>
            </tr>
          </thead>
          <tbody>
            {Object.keys(current.components).map((c) => (
              <tr key={c} data-component={c}>
                <th scope="row">{t(c as Word, lang)}</th>
                <td>{formatNumber(current.components[c]!, lang, 2)}</td>
                <td>{formatNumber(current.weights[c]!, lang, 2)}</td>
                <td>{formatNumber(current.contributions[c]!, lang, 1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {health.history.length > 0 && (
        <>
          <h3>{t('healthHistory', lang)}</h3>
          <HealthHistory history={health.history} lang={lang} />
          <table className="health-history small">
            <caption className="sr-only">{t('healthHistory', lang)}</caption>
            <tbody>
              <tr>
                {health.history.map((h) => (
                  <th scope="col" key={h.period}>
                    {h.period?.slice(0, 7)}
                  </th>
                ))}
              </tr>
              <tr>
                {health.history.map((h) => (
                  <td key={h.period} data-period={h.period}>
                    {formatNumber(h.score, lang, 1)}
                  </td>
                ))}
              </tr>
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
