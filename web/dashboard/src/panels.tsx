/**
 * @module panels
 * A page's panels: one query each, drawn as the panel says, with CSV export of what is shown and
 * drill-down from any point to the records behind it.
 */
import { type ReactNode, useState } from 'react';
import { grainOf, type Panel, panelShape } from '../../../src/views/dashboard.ts';
import {
  api,
  type CatalogueMetric,
  downloadCsv,
  type MetricValue,
  type QueryBody,
  query,
  type Row,
} from './api.ts';
import { Chart, type ChartClick, type ChartOption } from './chart.tsx';
import { formatDate, formatNumber, formatValue } from './format.ts';
import { t } from './i18n.ts';
import { MetricName, NotAvailable } from './tiles.tsx';
import { applicable, body, metricOf, periodEnd, useAsync, useView, type View } from './view.ts';

const WEEKDAYS = {
  it: ['lun', 'mar', 'mer', 'gio', 'ven', 'sab', 'dom'],
  en: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
};

/** The query a panel runs. */
export function panelQuery(view: View, panel: Panel): QueryBody {
  return body(view, panel.metrics, panelShape(panel, view.from, view.to, new Date()));
}

const cellValue = (row: Row | undefined, id: string) => (row?.[id] as MetricValue | undefined)?.value ?? null;

function axisLabel(view: View, value: string, grain: string) {
  return grain === 'month'
    ? new Intl.DateTimeFormat(view.lang === 'it' ? 'it-IT' : 'en-GB', {
        month: 'short',
        year: 'numeric',
        timeZone: 'UTC',
      }).format(new Date(`${value}T12:00:00Z`))
    : formatDate(value, view.lang);
}

/** Hour × weekday counts (Monday first) from hourly buckets `YYYY-MM-DDTHH:MM`. */
export function hourByWeekday(rows: Row[], metric: string): number[][] {
  const grid = Array.from({ length: 7 }, () => Array<number>(24).fill(0));
  for (const r of rows) grid[Number(r.weekday) - 1]![Number(r.hour)]! += cellValue(r, metric) ?? 0;
  return grid;
}

const BANDS = ['red', 'yellow', 'green'] as const;
const BAND_NAMES = {
  red: { it: 'Rosso (< 50)', en: 'Red (< 50)' },
  yellow: { it: 'Giallo (50–75)', en: 'Yellow (50–75)' },
  green: { it: 'Verde (> 75)', en: 'Green (> 75)' },
};
const BAND_COLOURS = { red: '#c62828', yellow: '#f9a825', green: '#2e7d32' };

/** A row's share of customers in a health band, in percent (null without customers). */
function bandShare(row: Row, metric: string, band: (typeof BANDS)[number]): number | null {
  const v = row[metric] as MetricValue | undefined;
  const bands = v?.bands as Record<string, number> | undefined;
  if (!v || !bands || v.n === 0) return null;
  return Math.round((1000 * (bands[band] ?? 0)) / v.n) / 10;
}

/** A row's answers per score (`{"0": 12, "1": 3, …}`). */
const distributionOf = (row: Row, metric: string) =>
  ((row[metric] as MetricValue | undefined)?.distribution ?? {}) as Record<string, number>;

/** The scores answered in any of the rows, in order. */
const scoresOf = (rows: Row[], metric: string) =>
  [...new Set(rows.flatMap((r) => Object.keys(distributionOf(r, metric)).map(Number)))].sort((a, b) => a - b);

interface CurvePoint {
  k: number;
  n: number;
  rate: number | null;
}
const curveOf = (row: Row, metric: string) =>
  ((row[metric] as MetricValue | undefined)?.curve ?? []) as CurvePoint[];
/** The last offset any cohort reaches. */
const lastOffset = (curves: CurvePoint[][]) => Math.max(0, ...curves.flatMap((c) => c.map((p) => p.k)));

interface Bin {
  from: number;
  to: number | null;
  n: number;
}
const binsOf = (row: Row | undefined, metric: string) =>
  ((row?.[metric] as MetricValue | undefined)?.bins ?? []) as Bin[];

/** A band's label: `50–100`, or `≥ 5.000` for the open last band. */
function binLabel(bin: Bin, unit: CatalogueMetric['unit'], lang: View['lang']) {
  const f = (v: number) => (unit === 'percent' ? formatValue(v, unit, lang) : formatNumber(v, lang, 0));
  return bin.to === null ? `≥ ${f(bin.from)}` : `${f(bin.from)}–${f(bin.to)}`;
}

const AXIS_TOOLTIP = { trigger: 'axis', confine: true };
const GRID = { left: 8, right: 16, top: 32, bottom: 8, containLabel: true };

/** Bars of shares (0–100%) stacked per category, a series per part. */
function stackedShares(
  view: View,
  categories: string[],
  parts: { name: string; data: (number | null)[]; itemStyle?: object }[],
): ChartOption {
  return {
    tooltip: AXIS_TOOLTIP,
    grid: GRID,
    legend: { top: 0 },
    xAxis: { type: 'category', data: categories },
    yAxis: {
      type: 'value',
      max: 100,
      axisLabel: { formatter: (v: number) => formatValue(v, 'percent', view.lang) },
    },
    series: parts.map((p) => ({ type: 'bar', stack: 'shares', ...p })),
  };
}

function drawing(
  view: View,
  panel: Panel,
  metrics: CatalogueMetric[],
  rows: Row[],
): { option: ChartOption; categories: string[]; series?: string[] } {
  const { lang } = view;
  const fmt = (m: CatalogueMetric) => (v: number) => formatValue(v, m.unit, lang);
  const tooltip = AXIS_TOOLTIP;
  const grid = GRID;
  const m0 = metrics[0]!;
  if (panel.kind === 'line') {
    const grain = grainOf(view.from, view.to);
    const categories = rows.map((r) => String(r.period));
    return {
      categories,
      option: {
        tooltip,
        grid,
        legend: { top: 0 },
        xAxis: { type: 'category', data: categories.map((c) => axisLabel(view, c, grain)) },
        yAxis: { type: 'value', axisLabel: { formatter: fmt(m0) } },
        series: metrics.map((m) => ({
          type: 'line',
          name: m.name[lang],
          data: rows.map((r) => cellValue(r, m.id)),
          connectNulls: false,
        })),
      },
    };
  }
  if (panel.kind === 'heatmap') {
    const grid7 = hourByWeekday(rows, m0.id);
    const data = grid7.flatMap((hours, d) => hours.map((v, h) => [h, d, v]));
    return {
      categories: [],
      option: {
        tooltip: { confine: true },
        grid: { ...grid, bottom: 48 },
        xAxis: { type: 'category', data: Array.from({ length: 24 }, (_, h) => String(h)) },
        yAxis: { type: 'category', data: WEEKDAYS[lang], inverse: true },
        visualMap: {
          min: 0,
          max: Math.max(1, ...data.map((x) => x[2]!)),
          orient: 'horizontal',
          left: 'center',
          bottom: 0,
          itemHeight: 120,
        },
        series: [{ type: 'heatmap', name: m0.name[lang], data }],
      },
    };
  }
  if (panel.kind === 'cohorts') {
    const cohorts = rows.map((r) => String(r.period));
    const curves = rows.map((r) => curveOf(r, m0.id));
    const months = lastOffset(curves);
    const data = curves.flatMap((c, i) =>
      c.filter((p) => p.rate !== null).map((p) => [p.k, i, p.rate] as [number, number, number]),
    );
    return {
      // A click reports the cell's index in `data`: its cohort.
      categories: data.map(([, i]) => cohorts[i]!),
      option: {
        tooltip: { confine: true },
        grid: { ...grid, bottom: 48 },
        xAxis: { type: 'category', data: Array.from({ length: months + 1 }, (_, k) => String(k)) },
        yAxis: {
          type: 'category',
          data: cohorts.map((c) => axisLabel(view, c, 'month')),
          inverse: true,
        },
        visualMap: { min: 0, max: 100, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120 },
        series: [
          {
            type: 'heatmap',
            name: m0.name[lang],
            data,
            label: {
              show: cohorts.length <= 12,
              formatter: (p: { value: [number, number, number] }) => formatValue(p.value[2], 'percent', lang),
            },
          },
        ],
      },
    };
  }
  if (panel.kind === 'histogram') {
    const bins = binsOf(rows[0], m0.id);
    return {
      categories: [],
      option: {
        tooltip,
        grid,
        xAxis: { type: 'category', data: bins.map((b) => binLabel(b, m0.unit, lang)) },
        yAxis: { type: 'value', axisLabel: { formatter: (v: number) => formatNumber(v, lang, 0) } },
        series: [{ type: 'bar', name: t('customers', lang), data: bins.map((b) => b.n) }],
      },
    };
  }
  const categories = rows.map((r) => String(r[panel.by!] ?? '–'));
  if (panel.kind === 'scores') {
    const scores = scoresOf(rows, m0.id);
    return {
      categories: scores.map(String),
      series: categories,
      option: {
        tooltip,
        grid,
        legend: { top: 0 },
        xAxis: { type: 'category', data: scores.map((x) => formatNumber(x, lang)) },
        yAxis: {
          type: 'value',
          axisLabel: { formatter: (v: number) => formatValue(v, 'percent', lang) },
        },
        series: rows.map((r, i) => {
          const dist = distributionOf(r, m0.id);
          const n = (r[m0.id] as MetricValue).n;
          return {
            type: 'bar',
            name: categories[i],
            data: scores.map((x) => (n > 0 ? Math.round((1000 * (dist[String(x)] ?? 0)) / n) / 10 : null)),
          };
        }),
      },
    };
  }
  if (panel.kind === 'bands')
    return {
      categories,
      option: stackedShares(
        view,
        categories,
        BANDS.map((k) => ({
          name: BAND_NAMES[k][lang],
          itemStyle: { color: BAND_COLOURS[k] },
          data: rows.map((r) => bandShare(r, m0.id, k)),
        })),
      ),
    };
  if (panel.kind === 'split') {
    const part = (k: string) =>
      rows.map(
        (r) =>
          ((r[m0.id] as MetricValue | undefined)?.shares as Record<string, number> | undefined)?.[k] ?? null,
      );
    const names = {
      promoters: { it: 'Promotori', en: 'Promoters' },
      passives: { it: 'Passivi', en: 'Passives' },
      detractors: { it: 'Detrattori', en: 'Detractors' },
    };
    return {
      categories,
      option: stackedShares(
        view,
        categories,
        (['promoters', 'passives', 'detractors'] as const).map((k) => ({
          name: names[k][lang],
          data: part(k),
        })),
      ),
    };
  }
  if (panel.kind === 'parts') {
    const parts = ((rows[0]?.[m0.id] as MetricValue | undefined)?.parts ?? {}) as Record<string, number>;
    const keys = Object.keys(parts);
    return {
      categories: keys,
      option: {
        tooltip,
        grid,
        xAxis: { type: 'category', data: keys },
        yAxis: { type: 'value', axisLabel: { formatter: fmt(m0) } },
        series: [{ type: 'bar', name: m0.name[lang], data: keys.map((k) => parts[k]) }],
      },
    };
  }
  return {
    categories,
    option: {
      tooltip,
      grid,
      xAxis: {
        type: 'category',
        data: categories,
        axisLabel: { interval: 0, rotate: categories.length > 6 ? 30 : 0 },
      },
      yAxis: { type: 'value', axisLabel: { formatter: fmt(m0) } },
      series: [{ type: 'bar', name: m0.name[lang], data: rows.map((r) => cellValue(r, m0.id)) }],
    },
  };
}

/** The heat map's numbers as a weekday × hour table; a cell opens the contacts behind it. */
function HeatmapTable({ view, metric, rows }: { view: View; metric: CatalogueMetric; rows: Row[] }) {
  const grid = hourByWeekday(rows, metric.id);
  const hours = Array.from({ length: 24 }, (_, h) => h);
  return (
    <table className="numbers heatmap">
      <thead>
        <tr>
          <td />
          {hours.map((h) => (
            <th scope="col" key={h}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {grid.map((values, day) => (
          <tr key={WEEKDAYS.en[day]} data-key={String(day + 1)}>
            <th scope="row">{WEEKDAYS[view.lang][day]}</th>
            {values.map((v, h) => (
              <td key={hours[h]} data-hour={h} data-value={v}>
                {v > 0 ? (
                  <button
                    type="button"
                    className="link"
                    onClick={() => view.drill(heatmapDrill(view, metric, day, h))}
                  >
                    {formatNumber(v, view.lang)}
                  </button>
                ) : (
                  formatNumber(0, view.lang)
                )}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A table of the panel's numbers (the chart's values, readable and testable). */
function NumbersTable({
  view,
  panel,
  metrics,
  rows,
}: {
  view: View;
  panel: Panel;
  metrics: CatalogueMetric[];
  rows: Row[];
}) {
  const key = panel.by ?? 'period';
  const label = panel.by
    ? (view.catalogue.dimensions.find((d) => d.id === panel.by)?.name[view.lang] ?? panel.by)
    : t('period', view.lang);
  const drillRow = (r: Row) => {
    const m = metrics[0]!;
    view.drill(drillOf(view, panel, m, String(r[key])));
  };
  return (
    <table className="numbers">
      <thead>
        <tr>
          <th scope="col">{label}</th>
          {metrics.map((m) => (
            <th scope="col" key={m.id}>
              <MetricName metric={m} id={m.id} />
            </th>
          ))}
          <th scope="col">n</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={String(r[key])} data-key={String(r[key])}>
            <th scope="row">
              <button type="button" className="link" onClick={() => drillRow(r)}>
                {String(r[key] ?? '–')}
              </button>
            </th>
            {metrics.map((m) => (
              <td key={m.id} data-metric={m.id} data-value={cellValue(r, m.id) ?? ''}>
                {formatValue(cellValue(r, m.id), m.unit, view.lang)}
                {(r[m.id] as MetricValue | undefined)?.small ? ' *' : ''}
              </td>
            ))}
            <td>{formatNumber((r[metrics[0]!.id] as MetricValue | undefined)?.n ?? 0, view.lang)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A table of rows of cells under a header row; a row's label may open its records. */
function GridTable({
  head,
  rows,
}: {
  head: string[];
  rows: { key: string; label: string; cells: string[]; drill?: () => void }[];
}) {
  return (
    <table className="numbers">
      <thead>
        <tr>
          {head.map((h) => (
            <th scope="col" key={h}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} data-key={r.key}>
            <th scope="row">
              {r.drill ? (
                <button type="button" className="link" onClick={r.drill}>
                  {r.label}
                </button>
              ) : (
                r.label
              )}
            </th>
            {r.cells.map((c, i) => (
              <td key={head[i + 1]}>{c}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The numbers of a scores, bands, cohorts or histogram panel. */
function ShapeTable({
  view,
  panel,
  metric,
  rows,
}: {
  view: View;
  panel: Panel;
  metric: CatalogueMetric;
  rows: Row[];
}) {
  const { lang } = view;
  const count = (v: number) => formatNumber(v, lang, 0);
  const pct = (v: number | null) => formatValue(v, 'percent', lang);
  const drill = (category: string) => () => view.drill(drillOf(view, panel, metric, category));
  if (panel.kind === 'bands') {
    const label = view.catalogue.dimensions.find((d) => d.id === panel.by)?.name[lang] ?? panel.by!;
    return (
      <GridTable
        head={[label, ...BANDS.map((k) => BAND_NAMES[k][lang]), 'n']}
        rows={rows.map((r) => ({
          key: String(r[panel.by!]),
          label: String(r[panel.by!] ?? '–'),
          cells: [
            ...BANDS.map((k) => pct(bandShare(r, metric.id, k))),
            count((r[metric.id] as MetricValue).n),
          ],
          drill: drill(String(r[panel.by!])),
        }))}
      />
    );
  }
  if (panel.kind === 'scores') {
    const scores = scoresOf(rows, metric.id);
    const label = view.catalogue.dimensions.find((d) => d.id === panel.by)?.name[lang] ?? panel.by!;
    return (
      <GridTable
        head={[label, 'n', ...scores.map((x) => formatNumber(x, lang))]}
        rows={rows.map((r) => {
          const dist = distributionOf(r, metric.id);
          return {
            key: String(r[panel.by!]),
            label: String(r[panel.by!] ?? '–'),
            cells: [
              count((r[metric.id] as MetricValue).n),
              ...scores.map((x) => count(dist[String(x)] ?? 0)),
            ],
            drill: drill(String(r[panel.by!])),
          };
        })}
      />
    );
  }
  if (panel.kind === 'cohorts') {
    const curves = rows.map((r) => curveOf(r, metric.id));
    const months = lastOffset(curves);
    const ks = Array.from({ length: months + 1 }, (_, k) => k);
    return (
      <GridTable
        head={[t('cohort', lang), 'n', ...ks.map((k) => `+${k}`)]}
        rows={rows.map((r, i) => ({
          key: String(r.period),
          label: axisLabel(view, String(r.period), 'month'),
          cells: [
            count(curves[i]![0]?.n ?? 0),
            ...ks.map((k) => pct(curves[i]!.find((p) => p.k === k)?.rate ?? null)),
          ],
          drill: drill(String(r.period)),
        }))}
      />
    );
  }
  const bins = binsOf(rows[0], metric.id);
  const total = bins.reduce((a, b) => a + b.n, 0);
  return (
    <GridTable
      head={[t('band', lang), t('customers', lang), t('share', lang)]}
      rows={bins.map((b) => ({
        key: String(b.from),
        label: binLabel(b, metric.unit, lang),
        cells: [count(b.n), pct(total > 0 ? Math.round((1000 * b.n) / total) / 10 : null)],
        drill: b.n > 0 ? () => view.drill(bandDrill(view, panel, metric, b)) : undefined,
      }))}
    />
  );
}

/** The drill-down request for a clicked cell of the heat map: the contacts of that weekday and hour. */
function heatmapDrill(view: View, metric: CatalogueMetric, day: number, hour: number) {
  const { filters } = applicable(view, [metric]);
  return {
    metric: metric.id,
    from: view.from,
    to: view.to,
    filters: { ...filters, weekday: [String(day + 1)], hour: [String(hour)] },
    title: `${metric.name[view.lang]} · ${WEEKDAYS[view.lang][day]} ${hour}:00`,
  };
}

/** The drill-down request for a clicked bar of the answers by score: that type's answers with that score. */
function scoreDrill(view: View, panel: Panel, metric: CatalogueMetric, kind: string, score: string) {
  const { filters } = applicable(view, [metric]);
  return {
    metric: metric.id,
    from: view.from,
    to: view.to,
    filters: { ...filters, [panel.by!]: [kind], score: [score] },
    title: `${metric.name[view.lang]} · ${kind} · ${formatNumber(Number(score), view.lang)}`,
  };
}

/** The drill-down request for a band of a model score: the customers scored in it by the latest fit. */
function bandDrill(view: View, panel: Panel, metric: CatalogueMetric, bin: Bin) {
  const { filters } = applicable(view, [metric]);
  const shape = panelShape(panel, view.from, view.to, new Date());
  return {
    metric: metric.id,
    from: shape.from ?? view.from,
    to: shape.to ?? view.to,
    filters,
    band: { from: bin.from, to: bin.to },
    title: `${metric.name[view.lang]} · ${binLabel(bin, metric.unit, view.lang)}`,
  };
}

/** What a click on a panel's chart opens: the records behind the point. */
function chartClick(
  view: View,
  panel: Panel,
  metrics: CatalogueMetric[],
  drawn: ReturnType<typeof drawing>,
  rows: Row[],
): (c: ChartClick) => void {
  const m0 = metrics[0]!;
  if (panel.kind === 'histogram')
    return (c) => {
      const bin = binsOf(rows[0], m0.id)[c.dataIndex];
      if (bin) view.drill(bandDrill(view, panel, m0, bin));
    };
  // The cells are listed weekday by weekday, 24 hours each.
  if (panel.kind === 'heatmap')
    return (c) => view.drill(heatmapDrill(view, m0, Math.floor(c.dataIndex / 24), c.dataIndex % 24));
  if (panel.kind === 'scores')
    return (c) => {
      const kind = drawn.series?.[c.seriesIndex];
      const score = drawn.categories[c.dataIndex];
      if (kind !== undefined && score !== undefined) view.drill(scoreDrill(view, panel, m0, kind, score));
    };
  return (c) => {
    const metric = panel.kind === 'line' ? (metrics[c.seriesIndex] ?? m0) : m0;
    const category = drawn.categories[c.dataIndex];
    if (category !== undefined) view.drill(drillOf(view, panel, metric, category));
  };
}

/** The drill-down request for a clicked category (a dimension value or a period). */
function drillOf(view: View, panel: Panel, metric: CatalogueMetric, category: string) {
  const { filters } = applicable(view, [metric]);
  if (panel.kind === 'line' || panel.kind === 'cohorts') {
    const grain = panel.kind === 'cohorts' ? 'month' : grainOf(view.from, view.to);
    return {
      metric: metric.id,
      from: category < view.from ? view.from : category,
      to: periodEnd(category, grain, view.to),
      filters,
      title: `${metric.name[view.lang]} · ${axisLabel(view, category, grain)}`,
    };
  }
  const point = panel.by && panel.kind !== 'parts' ? { ...filters, [panel.by]: [category] } : filters;
  return {
    metric: metric.id,
    from: view.from,
    to: view.to,
    filters: point,
    title: `${metric.name[view.lang]} · ${panel.by && panel.kind !== 'parts' ? category : ''}`,
  };
}

/** The newest survey comments of the range (of the metrics' answers), filterable by text. */
function Comments({ panel }: { panel: Panel }) {
  const view = useView();
  const [text, setText] = useState('');
  const known = panel.metrics.filter((id) => metricOf(view, id));
  const key = JSON.stringify([known, view.from, view.to, view.filters]);
  const { data, error } = useAsync(key, async () => {
    const lists = await Promise.all(
      known.map((id) => {
        const { metrics, ...rest } = body(view, [id]);
        return api<{ records: Row[] }>('/api/v1/query/records', 'POST', { ...rest, metrics, limit: 300 });
      }),
    );
    return lists
      .flatMap((l) => l.records)
      .filter((r) => typeof r.comment === 'string' && r.comment.trim() !== '')
      .sort((a, b) => String(b.timestamp).localeCompare(String(a.timestamp)));
  });
  const shown = (data ?? [])
    .filter((r) => String(r.comment).toLowerCase().includes(text.toLowerCase()))
    .slice(0, 50);
  return (
    <div>
      <label className="inline">
        {t('filterText', view.lang)}{' '}
        <input type="search" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      {error && <p role="alert">{error.message}</p>}
      <ul className="comments" aria-busy={!data && !error}>
        {shown.map((r) => (
          <li key={String(r.id)}>
            <p>{String(r.comment)}</p>
            <p className="muted small">
              {formatDate(String(r.timestamp), view.lang, true)} · {String(r.metric ?? '')}{' '}
              {String(r.score ?? '')} · {String(r.touchpoint ?? r.channel ?? '')} ·{' '}
              {String(r.customerId ?? '')}
            </p>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Frame({
  panel,
  children,
  actions,
  busy = false,
}: {
  panel: Panel;
  children: ReactNode;
  actions?: ReactNode;
  busy?: boolean;
}) {
  const { lang } = useView();
  return (
    <section className="panel" data-panel={panel.id} aria-labelledby={`panel-${panel.id}`} aria-busy={busy}>
      <header>
        <h2 id={`panel-${panel.id}`}>{panel.title[lang]}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/** One panel of a page. */
export function PanelView({ panel }: { panel: Panel }) {
  const view = useView();
  const metrics = panel.metrics.map((id) => metricOf(view, id)).filter((m): m is CatalogueMetric => !!m);
  if (metrics.length === 0)
    return (
      <Frame panel={panel}>
        <NotAvailable id={panel.metrics[0]!} title={panel.title[view.lang]} />
      </Frame>
    );
  if (panel.kind === 'comments')
    return (
      <Frame panel={panel}>
        <Comments panel={panel} />
      </Frame>
    );
  return <QueryPanel panel={panel} metrics={metrics} />;
}

/** Panels whose numbers are drawn in a table of their own shape (see `ShapeTable`). */
const SHAPED = new Set<Panel['kind']>(['scores', 'bands', 'cohorts', 'histogram']);

function QueryPanel({ panel, metrics }: { panel: Panel; metrics: CatalogueMetric[] }) {
  const view = useView();
  const q = panelQuery(view, panel);
  const key = JSON.stringify(q);
  const { data, error } = useAsync(key, () => query(q));
  const { dropped } = applicable(view, metrics);
  // A histogram's one row of totals has no numbers without any customer scored.
  const rows = (data?.rows ?? []).filter(
    (r) => panel.kind !== 'histogram' || ((r[metrics[0]!.id] as MetricValue | undefined)?.n ?? 0) > 0,
  );
  const drawn =
    data && rows.length > 0 && panel.kind !== 'table' ? drawing(view, panel, metrics, rows) : null;
  return (
    <Frame
      panel={panel}
      busy={!data && !error}
      actions={
        <button type="button" onClick={() => downloadCsv(q, `polso-${panel.id}`)}>
          {t('exportCsv', view.lang)}
        </button>
      }
    >
      {dropped.length > 0 && (
        <p className="muted small">
          {dropped.map((d) => `${d}: ${t('doesNotApply', view.lang)}`).join(' · ')}
        </p>
      )}
      {error && <p role="alert">{`${t('error', view.lang)}: ${error.message}`}</p>}
      {!data && !error && <p className="muted">{t('loading', view.lang)}</p>}
      {data && rows.length === 0 && (
        <p className="muted">{t(panel.kind === 'histogram' ? 'noFit' : 'noData', view.lang)}</p>
      )}
      {drawn && (
        <Chart
          option={drawn.option}
          label={`${panel.title[view.lang]}. ${panel.kind === 'heatmap' ? t('heatmapHint', view.lang) : t('drillHint', view.lang)}`}
          onClick={chartClick(view, panel, metrics, drawn, rows)}
        />
      )}
      {data && rows.length > 0 && panel.kind === 'heatmap' && (
        <details>
          <summary>{t('value', view.lang)}</summary>
          <div className="scroll">
            <HeatmapTable view={view} metric={metrics[0]!} rows={rows} />
          </div>
        </details>
      )}
      {data && rows.length > 0 && SHAPED.has(panel.kind) && (
        <details open>
          <summary>{t('value', view.lang)}</summary>
          <div className="scroll">
            <ShapeTable view={view} panel={panel} metric={metrics[0]!} rows={rows} />
          </div>
        </details>
      )}
      {data &&
        rows.length > 0 &&
        !SHAPED.has(panel.kind) &&
        panel.kind !== 'heatmap' &&
        panel.kind !== 'parts' &&
        panel.kind !== 'split' && (
          <details open={panel.kind === 'table'}>
            <summary>{t('value', view.lang)}</summary>
            <NumbersTable view={view} panel={panel} metrics={metrics} rows={rows} />
          </details>
        )}
    </Frame>
  );
}
