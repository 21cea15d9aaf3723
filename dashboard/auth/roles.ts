/** Roles of people, in the order of the users admin screen. */
export const PERSON_ROLES = ['operator', 'maintenance', 'manager', 'admin'] as const;

/**
 * Roles only integration tokens carry: the online lending platform (creates, cancels and closes
 * reservations), couriers (report deliveries) and a Prometheus scraper (`/metrics`, health).
 * A token may also carry a person's role.
 */
export const INTEGRATION_ROLES = ['lending', 'courier', 'metrics'] as const;

export const ROLES = [...PERSON_ROLES, ...INTEGRATION_ROLES] as const;

export type PersonRole = (typeof PERSON_ROLES)[number];
export type Role = (typeof ROLES)[number];

/** Who a request acts as: a signed-in person (session cookie) or an integration (bearer token). */
export type Principal =
  | {
      kind: 'session';
      name: string;
      role: PersonRole;
      displayName: string;
      mustChangePassword: boolean;
      sessionKey: string;
      csrfToken: string;
    }
  | { kind: 'token'; name: string; role: Role; tokenId: string };
