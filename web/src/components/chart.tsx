import type { ECharts, EChartsCoreOption } from 'echarts/core';
import { useEffect, useId, useRef } from 'preact/hooks';

export type ChartOption = EChartsCoreOption;

/** The chart library, loaded once, on the first chart shown (chart-engine.ts). */
let engine: Promise<typeof import('./chart-engine.js')> | undefined;
const loadEngine = () => (engine ??= import('./chart-engine.js'));

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
  const chart = useRef<ECharts | null>(null);
  const option = useRef(props.option);
  option.current = props.option;
  const onPick = useRef(props.onPick);
  onPick.current = props.onPick;

  useEffect(() => {
    let isMounted = true;
    let stop = () => {};
    void loadEngine().then(({ init }) => {
      if (!isMounted || !element.current) return;
      const instance = init(element.current, undefined, { renderer: 'canvas' });
      chart.current = instance;
      instance.setOption(option.current);
      instance.on('click', (params) => onPick.current?.(params.dataIndex, params.seriesIndex ?? 0));
      const observer = new ResizeObserver(() => instance.resize());
      observer.observe(element.current);
      stop = () => {
        observer.disconnect();
        instance.dispose();
      };
    });
    return () => {
      isMounted = false;
      chart.current = null;
      stop();
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
