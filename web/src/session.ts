import { api, ApiError, setCsrfToken } from './api.js';

export type Role = 'operator' | 'maintenance' | 'manager' | 'admin';

export interface User {
  username: string;
  role: Role;
  displayName: string;
  mustChangePassword: boolean;
}

interface SessionAnswer {
  user: User;
  csrfToken: string;
}

/** Who is signed in: the app ships with its server, so there is always sign-in. */
export interface Session {
  user: User;
}

/** What each role may do on the page; the server enforces the same and answers 403 otherwise. */
const PERMISSIONS = {
  commandMachines: ['operator', 'admin'],
  handleNotifications: ['operator', 'admin'],
  handleAlerts: ['maintenance', 'admin'],
  recordInspections: ['maintenance', 'admin'],
  deliverReservations: ['maintenance', 'admin'],
  readReports: ['manager', 'admin'],
  administer: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(session: Session, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(session.user.role);
}

/** The current session, or null when nobody is signed in. */
export async function fetchSession(): Promise<Session | null> {
  try {
    const answer = await api.auth<SessionAnswer>('GET', '/me');
    setCsrfToken(answer.csrfToken);
    return { user: answer.user };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export async function logIn(username: string, password: string): Promise<Session> {
  const answer = await api.auth<SessionAnswer>('POST', '/login', { username, password });
  setCsrfToken(answer.csrfToken);
  return { user: answer.user };
}

export async function logOut(): Promise<void> {
  await api.auth('POST', '/logout');
  setCsrfToken(null);
}

export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await api.auth('POST', '/password', { currentPassword, newPassword });
}
