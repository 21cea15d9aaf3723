import { useState } from 'preact/hooks';
import { fleetMonthOf } from '../../format.js';
import { useI18n } from '../../i18n.js';
import { FaultResponseChart, ReliabilityChart, UtilisationChart } from './lazy-charts.js';

/** How the machines served in a year: use per machine, time between failures, and fault response. */
export function ServiceSection() {
  const { t } = useI18n();
  const [year, setYear] = useState(Number(fleetMonthOf(Date.now()).slice(0, 4)));
  return (
    <section class="panel" aria-labelledby="service-title">
      <div class="panel-head">
        <h2 id="service-title">{t('serviceTitle')}</h2>
        <label>
          {t('year')}
          <input
            type="number"
            name="service-year"
            min={2000}
            max={9998}
            value={year}
            onChange={(e) => setYear(Number(e.currentTarget.value))}
          />
        </label>
      </div>
      <UtilisationChart year={year} />
      <ReliabilityChart year={year} />
      <FaultResponseChart year={year} />
    </section>
  );
}
