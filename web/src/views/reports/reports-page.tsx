import { CirculationSection } from './circulation-section.js';
import { IndicatorsSection } from './indicators-section.js';
import { ServiceSection } from './service-section.js';

/** Managers' reports: the monthly circulation table and its trend, the yearly indicators, then how the machines served. */
export function ReportsPage() {
  return (
    <div class="reports">
      <CirculationSection />
      <IndicatorsSection />
      <ServiceSection />
    </div>
  );
}
