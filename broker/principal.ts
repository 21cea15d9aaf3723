import type { KioskId } from '../protocol/topics.js';

/** Who is behind an MQTT connection once authenticated: a machine, or a platform service. */
export type Principal = { kind: 'kiosk'; kioskId: KioskId } | { kind: 'service'; name: string };
