import type { ComponentProps, FunctionComponent } from 'preact';
import { lazy, Suspense } from 'preact/compat';
import { useI18n } from '../../i18n.js';

/**
 * The reports' charts, each fetched with its chart library only when a page shows it: the tables
 * read at once, the charts follow.
 */
function lazyChart<P extends object>(load: () => Promise<FunctionComponent<P>>): FunctionComponent<P> {
  const Loaded = lazy(async () => ({ default: await load() }));
  return function LazyChart(props: P) {
    const { t } = useI18n();
    return (
      <Suspense fallback={<p class="muted">{t('loading')}</p>}>
        <Loaded {...(props as ComponentProps<typeof Loaded>)} />
      </Suspense>
    );
  };
}

export const CirculationTrendChart = lazyChart(async () => (await import('./circulation-trend.js')).CirculationTrendChart);
export const UtilisationChart = lazyChart(async () => (await import('./utilisation-chart.js')).UtilisationChart);
export const ReliabilityChart = lazyChart(async () => (await import('./reliability-chart.js')).ReliabilityChart);
export const FaultResponseChart = lazyChart(async () => (await import('./fault-response-chart.js')).FaultResponseChart);
