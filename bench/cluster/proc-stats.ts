/**
 * CPU time and memory of other processes, read from Linux's /proc: a node, Redis, or PostgreSQL's
 * postmaster with each backend it forked.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc reports CPU time in ticks of 1/100 s on Linux. */
const TICKS_PER_SECOND = 100;

interface Stat {
  ppid: number;
  cpuSeconds: number;
}

function statOf(pid: number | string): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state, ppid, pgrp, …, utime (12th), stime (13th).
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system, every thread) of one process so far; NaN when it is gone. */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  return statOf(pid)?.cpuSeconds ?? Number.NaN;
}

/**
 * CPU seconds of a process and its live children: PostgreSQL's postmaster and every backend and
 * helper it forked (they are not always in its process group: pg_ctl run through runuser leaves
 * them in the caller's). A backend that exited inside a window takes its time with it: the
 * figure is a floor, close for a server whose connections are pooled, as the nodes' are.
 */
export function treeCpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  let total = statOf(pid)?.cpuSeconds ?? Number.NaN;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statOf(name);
    if (stat?.ppid === pid) total += stat.cpuSeconds;
  }
  return total;
}

/** Resident memory of a process now, in MiB; NaN when it is gone. */
export function rssMBOf(pid: number | undefined): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(text)?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}
