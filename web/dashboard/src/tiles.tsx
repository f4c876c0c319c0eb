/**
 * @module tiles
 * A tile per key metric: value, change against the comparison period (marked only when significant),
 * sparkline, `n` and interval, and a visible flag on small samples.
 */
import { useId } from 'react';
import { grainOf } from '../../../src/views/dashboard.ts';
import { type CatalogueMetric, type MetricValue, query, type Row } from './api.ts';
import { formatDelta, formatNumber, formatValue } from './format.ts';
import { t } from './i18n.ts';
import { applicable, body, metricOf, useAsync, useView, type View } from './view.ts';

/** A metric's name that shows its definition and formula on hover and on keyboard focus. */
export function MetricName({ metric, id }: { metric?: CatalogueMetric; id: string }) {
  const { lang } = useView();
  const tipId = useId();
  if (!metric) return <span>{id}</span>;
  return (
    <span className="metric-name">
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: focusable so keyboard users can read the definition */}
      <span tabIndex={0} aria-describedby={tipId}>
        {metric.name[lang]}
      </span>
      <span role="tooltip" id={tipId} className="tip">
        <strong>{t('definition', lang)}:</strong> {metric.description[lang]}
        <br />
        <strong>{t('formula', lang)}:</strong> <code>{metric.formula}</code>
      </span>
    </span>
  );
}

/** A tiny line of a metric over the range's buckets. */
function Sparkline({ values }: { values: (number | null)[] }) {
  const points = values
    .map((v, i) => [i, v] as const)
    .filter((p): p is readonly [number, number] => p[1] !== null);
  if (points.length < 2) return <svg className="spark" aria-hidden="true" />;
  const ys = points.map((p) => p[1]);
  const [min, max] = [Math.min(...ys), Math.max(...ys)];
  const w = 120;
  const h = 28;
  const xy = points
    .map(
      ([i, v]) =>
        `${((i / Math.max(values.length - 1, 1)) * w).toFixed(1)},${(h - 2 - ((v - min) / (max - min || 1)) * (h - 4)).toFixed(1)}`,
    )
    .join(' ');
  return (
    <svg className="spark" viewBox={`0 0 ${w} ${h}`} aria-hidden="true">
      <polyline points={xy} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}

/** The "not available yet" card of a metric Polso does not compute yet. */
export function NotAvailable({ id, title }: { id: string; title?: string }) {
  const { lang } = useView();
  return (
    <div className="tile unavailable" data-metric={id} data-state="unavailable">
      <h2>{title ?? id}</h2>
      <p className="na">{t('notAvailable', lang)}</p>
      <p className="muted small">{t('notAvailableLong', lang)}</p>
    </div>
  );
}

function Tile({
  metric,
  value,
  series,
}: {
  metric: CatalogueMetric;
  value?: MetricValue;
  series: (number | null)[];
}) {
  const { lang, compare } = useView();
  if (!value)
    return (
      <div className="tile" data-metric={metric.id}>
        <h2>
          <MetricName metric={metric} id={metric.id} />
        </h2>
        <p className="value muted">…</p>
      </div>
    );
  const better =
    value.delta === null || value.delta === undefined || metric.direction === 'neutral'
      ? 'neutral'
      : value.delta > 0 === (metric.direction === 'higher_is_better')
        ? 'better'
        : 'worse';
  return (
    <div className="tile" data-metric={metric.id} data-value={value.value ?? ''} data-n={value.n}>
      <h2>
        <MetricName metric={metric} id={metric.id} />
      </h2>
      <p className="value">{formatValue(value.value, metric.unit, lang)}</p>
      {compare && value.delta !== undefined && value.delta !== null && (
        <p className={`delta ${value.significant ? better : 'ns'}`}>
          {value.significant ? (value.delta > 0 ? '▲ ' : '▼ ') : ''}
          {formatDelta(value.delta, metric.unit, lang)}{' '}
          <span className="small">
            ({value.significant ? t('significant', lang) : t('notSignificant', lang)})
          </span>
        </p>
      )}
      <Sparkline values={series} />
      <p className="muted small">
        n = {formatNumber(value.n, lang)}
        {value.ci
          ? ` · ${t('interval', lang)} ${formatValue(value.ci[0], metric.unit, lang)} – ${formatValue(value.ci[1], metric.unit, lang)}`
          : ''}
      </p>
      {value.small && <p className="badge">{t('small', lang)}</p>}
    </div>
  );
}

/**
 * Runs the tiles' queries: metrics that take the same filters share one query (with comparison) and
 * one series. `background`: for a page not shown (see `prefetch`).
 */
export async function loadTiles(view: View, metrics: CatalogueMetric[], background = false) {
  const groups = new Map<string, CatalogueMetric[]>();
  for (const m of metrics) {
    const key = JSON.stringify(applicable(view, [m]).filters);
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const grain = grainOf(view.from, view.to);
  const totals: Row = {};
  const series: Row[] = [];
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const ids = group.map((m) => m.id);
      const [total, trend] = await Promise.all([
        query(body(view, ids, view.compare ? { compare: view.compare } : {}), background),
        query(body(view, ids, { grain }), background),
      ]);
      Object.assign(totals, total.rows[0]);
      trend.rows.forEach((r, i) => {
        series[i] = { ...series[i], ...r };
      });
    }),
  );
  return { totals, series };
}

/** The tiles of a page, in the given order; unknown metrics say they are not available yet. */
export function Tiles({ ids }: { ids: string[] }) {
  const view = useView();
  const known = ids.map((id) => metricOf(view, id)).filter((m): m is CatalogueMetric => !!m);
  const key = JSON.stringify([ids, view.from, view.to, view.compare, view.filters]);
  const { data, error } = useAsync(key, () => loadTiles(view, known));
  return (
    <section className="tiles" aria-busy={!data && !error}>
      {error && <p role="alert">{`${t('error', view.lang)}: ${error.message}`}</p>}
      {ids.map((id) => {
        const metric = metricOf(view, id);
        if (!metric)
          return (
            <NotAvailable
              key={id}
              id={id}
              title={id === 'clv' ? t('clv', view.lang) : id === 'health_score' ? t('health', view.lang) : id}
            />
          );
        return (
          <Tile
            key={id}
            metric={metric}
            value={data?.totals[id] as MetricValue | undefined}
            series={(data?.series ?? []).map((r) => (r[id] as MetricValue | undefined)?.value ?? null)}
          />
        );
      })}
    </section>
  );
}
