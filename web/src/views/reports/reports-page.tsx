import { CirculationSection } from './circulation-section.js';
import { IndicatorsSection } from './indicators-section.js';

/** Managers' reports: the monthly circulation table and its trend, then the yearly indicators. */
export function ReportsPage() {
  return (
    <div class="reports">
      <CirculationSection />
      <IndicatorsSection />
    </div>
  );
}
