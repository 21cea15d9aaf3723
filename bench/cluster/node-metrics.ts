/** What the cluster bench reads from each node's own HTTP port (not through HAProxy). */
import type { ClusterNode } from './node-process.js';

/** `kiosk_fleet_events_stored_total` of a node's /metrics (Prometheus text); NaN if it does not answer. */
export async function eventsStoredBy(node: ClusterNode, metricsToken: string): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${node.httpPort}/metrics`, {
      headers: { authorization: `Bearer ${metricsToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return Number(/^kiosk_fleet_events_stored_total (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** Machines connected to a node's broker, from its health; NaN if it does not answer. */
export async function machinesOn(node: ClusterNode, metricsToken: string): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${node.httpPort}/api/v1/health`, {
      headers: { authorization: `Bearer ${metricsToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    const health = (await response.json()) as { components?: { broker?: { connectedKiosks?: number } } };
    return health.components?.broker?.connectedKiosks ?? Number.NaN;
  } catch {
    return Number.NaN;
  }
}
