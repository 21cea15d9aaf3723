/**
 * CPU of every process of the cluster over a measurement window: each node (all its threads), the
 * whole PostgreSQL server (postmaster and backends), Redis and HAProxy; and each node's events
 * stored over the same window, from its metrics, to give CPU per event per node.
 */
import { performance } from 'node:perf_hooks';
import type { RunningCluster } from './running-cluster.js';
import { eventsStoredBy } from './node-metrics.js';
import { cpuSecondsOf, treeCpuSecondsOf, rssMBOf } from './proc-stats.js';

export interface WindowCosts {
  seconds: number;
  /** Per node, in the order of `cluster.nodes`. */
  nodes: { cpuCores: number; storedPerSecond: number; cpuMicrosPerEvent: number; rssMB: number }[];
  postgresCpuCores: number;
  redisCpuCores: number;
  haproxyCpuCores: number;
}

interface Snapshot {
  t: number;
  nodeCpu: number[];
  nodeStored: Promise<number[]>;
  postgres: number;
  redis: number;
  haproxy: number;
}

export interface CostMeter {
  start(): void;
  end(): void;
  /** The window's figures, once `end` has been called (metrics are read asynchronously). */
  result(): Promise<WindowCosts | null>;
}

export function costMeter(cluster: RunningCluster, pids: { postgres: number | undefined; redis: number | undefined }): CostMeter {
  const snapshot = (): Snapshot => ({
    t: performance.now(),
    nodeCpu: cluster.nodes.map((n) => cpuSecondsOf(n.pid)),
    nodeStored: Promise.all(cluster.nodes.map((n) => eventsStoredBy(n, cluster.tokens.metrics))),
    postgres: treeCpuSecondsOf(pids.postgres),
    redis: cpuSecondsOf(pids.redis),
    haproxy: cluster.haproxyPids.reduce<number>((sum, pid) => sum + cpuSecondsOf(pid), 0),
  });
  let first: Snapshot | null = null;
  let last: Snapshot | null = null;
  return {
    start: () => void (first = snapshot()),
    end: () => void (last = snapshot()),
    async result() {
      if (!first || !last) return null;
      const a = first as Snapshot;
      const b = last as Snapshot;
      const seconds = (b.t - a.t) / 1000;
      const [storedA, storedB] = await Promise.all([a.nodeStored, b.nodeStored]);
      return {
        seconds,
        nodes: cluster.nodes.map((n, i) => {
          const cpu = b.nodeCpu[i]! - a.nodeCpu[i]!;
          const stored = storedB[i]! - storedA[i]!;
          return {
            cpuCores: cpu / seconds,
            storedPerSecond: stored / seconds,
            cpuMicrosPerEvent: stored > 0 ? (cpu * 1e6) / stored : Number.NaN,
            rssMB: rssMBOf(n.pid),
          };
        }),
        postgresCpuCores: (b.postgres - a.postgres) / seconds,
        redisCpuCores: (b.redis - a.redis) / seconds,
        haproxyCpuCores: (b.haproxy - a.haproxy) / seconds,
      };
    },
  };
}
