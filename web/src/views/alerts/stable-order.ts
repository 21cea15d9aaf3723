/**
 * The ids of `sorted` in the order the page showed them before (`previous`): an alert the crew
 * acknowledges keeps its place instead of jumping under the open ones, and a new alert goes in
 * where urgency puts it, before the first alert already shown that urgency ranks after it.
 */
export function keepPlaces(previous: readonly string[], sorted: readonly string[]): string[] {
  const present = new Set(sorted);
  const order = previous.filter((id) => present.has(id));
  const shown = new Set(order);
  sorted.forEach((id, i) => {
    if (shown.has(id)) return;
    const next = sorted.slice(i + 1).find((later) => shown.has(later));
    const at = next === undefined ? order.length : order.indexOf(next);
    order.splice(at, 0, id);
    shown.add(id);
  });
  return order;
}
