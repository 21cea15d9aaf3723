import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useId, useRef } from 'preact/hooks';

echarts.use([BarChart, LineChart, ScatterChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

/**
 * One ECharts instance per chart on the page (never one per machine); options are merged in place,
 * so a live update redraws without rebuilding the chart.
 *
 * A canvas says nothing to a screen reader: the chart is an image named `label`, described by
 * `description`, a sentence with what the chart shows (WCAG 1.1.1 Non-text Content).
 */
export function Chart(props: {
  option: ChartOption;
  label: string;
  description: string;
  height: number;
  onPick?: (dataIndex: number, seriesIndex: number) => void;
}) {
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const onPick = useRef(props.onPick);
  onPick.current = props.onPick;

  useEffect(() => {
    const instance = echarts.init(element.current!, undefined, { renderer: 'canvas' });
    chart.current = instance;
    instance.on('click', (params) => onPick.current?.(params.dataIndex, params.seriesIndex ?? 0));
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(element.current!);
    return () => {
      observer.disconnect();
      instance.dispose();
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(props.option, { notMerge: false, lazyUpdate: true, replaceMerge: ['series'] });
  }, [props.option]);

  const descriptionId = useId();
  return (
    <>
      <div
        ref={element}
        class="chart"
        role="img"
        aria-label={props.label}
        aria-describedby={descriptionId}
        style={{ height: `${props.height}px` }}
      />
      <p id={descriptionId} class="visually-hidden" data-chart-description>
        {props.description}
      </p>
    </>
  );
}
