import { z } from 'zod';
import { READER_AVAILABILITIES } from '../collector/domain/reader-availability.js';
import type { DashboardContext } from './context.js';
import { readerStatusOf } from './reader-status.js';

/**
 * What the public status page and its JSON may say about a machine: the name readers know it by,
 * where it is, and whether they can borrow there now. Nothing internal: no id, no fault code, no
 * telemetry, no person. Strict, so a field added by mistake fails the answer instead of leaking.
 */
export const publicMachineSchema = z.strictObject({
  name: z.string(),
  nameEn: z.string().nullable(),
  address: z.string().nullable(),
  district: z.string(),
  districtEn: z.string().nullable(),
  lat: z.number(),
  lon: z.number(),
  status: z.enum(READER_AVAILABILITIES),
  since: z.string().nullable(),
});
export const publicStatusSchema = z.strictObject({
  generatedAt: z.string(),
  counts: z.strictObject({ lending: z.number(), returns_only: z.number(), closed: z.number() }),
  machines: z.array(publicMachineSchema),
});
export type PublicStatus = z.infer<typeof publicStatusSchema>;

/** How long one answer is reused (and may be cached by browsers and proxies): a few seconds. */
export const PUBLIC_STATUS_MAX_AGE_S = 5;

/**
 * Every registered machine readers can walk up to (not reserve stock, not hidden from the page),
 * by district and name. Computed at most once per `PUBLIC_STATUS_MAX_AGE_S`, so thousands of
 * readers opening the page at once cost one computation.
 */
export function createPublicStatus(ctx: DashboardContext): () => PublicStatus {
  let cached: { atMs: number; status: PublicStatus } | null = null;
  return () => {
    const nowMs = ctx.now();
    if (cached && nowMs - cached.atMs < PUBLIC_STATUS_MAX_AGE_S * 1000) return cached.status;
    const machines = ctx.registry
      .list()
      .filter((k) => k.lifecycle !== 'reserve' && k.isHiddenFromStatusPage !== true)
      .map((k) => {
        const { availability, sinceMs } = readerStatusOf(ctx, k.id);
        return publicMachineSchema.parse({
          name: k.name,
          nameEn: k.nameEn ?? null,
          address: k.address ?? null,
          district: k.district,
          districtEn: k.districtEn ?? null,
          lat: k.lat,
          lon: k.lon,
          status: availability,
          since: sinceMs === null ? null : new Date(sinceMs).toISOString(),
        });
      })
      .sort((a, b) => a.district.localeCompare(b.district, 'zh') || a.name.localeCompare(b.name, 'zh'));
    const counts = { lending: 0, returns_only: 0, closed: 0 };
    for (const m of machines) counts[m.status]++;
    const status = { generatedAt: new Date(nowMs).toISOString(), counts, machines };
    cached = { atMs: nowMs, status };
    return status;
  };
}
