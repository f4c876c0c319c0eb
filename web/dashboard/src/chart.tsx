/**
 * @module chart
 * Apache ECharts, tree-shaken to the charts and components the dashboard draws, behind one component.
 */
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([
  BarChart,
  LineChart,
  HeatmapChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;

/** What a click on a chart reports: the category (axis value) and the series. */
export interface ChartClick {
  name: string;
  seriesIndex: number;
  dataIndex: number;
}

/** A chart; `label` describes it to screen readers (the numbers are also in the panel's table or tiles). */
export function Chart(props: {
  option: ChartOption;
  label: string;
  height?: number;
  onClick?: (click: ChartClick) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const onClick = useRef(props.onClick);
  onClick.current = props.onClick;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const chart = echarts.init(el, undefined, { renderer: 'canvas' });
    chart.setOption({ animation: false, ...props.option });
    chart.on('click', (p) => onClick.current?.(p as unknown as ChartClick));
    const resize = new ResizeObserver(() => chart.resize());
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.dispose();
    };
  }, [props.option]);
  return (
    <div
      ref={ref}
      className="chart"
      role="img"
      aria-label={props.label}
      style={{ height: props.height ?? 260 }}
    />
  );
}
