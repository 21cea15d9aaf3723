/** The administration endpoints (admin only): accounts, integration tokens and the audit log. */
import type { AuditEntry } from '../../../../dashboard/auth/audit-log.js';
import type { IntegrationToken } from '../../../../dashboard/auth/integration-tokens.js';
import type { PersonRole, Role } from '../../../../dashboard/auth/roles.js';
import type { User } from '../../../../dashboard/auth/users.js';
import { api, query } from '../../api.js';

// The server's own lists: a role added there shows up in the forms here.
export { INTEGRATION_ROLES, PERSON_ROLES } from '../../../../dashboard/auth/roles.js';
export type { AuditEntry, IntegrationToken, PersonRole, Role };
export type Account = User;

export interface NewAccount {
  username: string;
  displayName: string;
  role: PersonRole;
  password: string;
  mustChangePassword: boolean;
}

export interface AccountChanges {
  role?: PersonRole;
  displayName?: string;
  disabled?: boolean;
  password?: string;
}

export interface AuditFilters {
  from?: string | undefined;
  to?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  limit?: number | undefined;
}

const userPath = (username: string) => `/users/${encodeURIComponent(username)}`;

export const listAccounts = () => api.get<{ users: Account[] }>('/users').then((a) => a.users);
export const createAccount = (account: NewAccount) => api.post<{ user: Account }>('/users', account).then((a) => a.user);
export const updateAccount = (username: string, changes: AccountChanges) =>
  api.patch<{ user: Account }>(userPath(username), changes).then((a) => a.user);

export const listTokens = () => api.get<{ tokens: IntegrationToken[] }>('/auth/tokens').then((a) => a.tokens);
export const issueToken = (name: string, role: Role) =>
  api.post<{ token: IntegrationToken; secret: string }>('/auth/tokens', { name, role });
export const revokeToken = (id: string) => api.delete(`/auth/tokens/${encodeURIComponent(id)}`);

/** Newest first; `from`/`to` are ISO instants, `to` exclusive. */
export const queryAudit = (filters: AuditFilters) =>
  api.get<{ entries: AuditEntry[] }>(`/audit?${query({ ...filters })}`).then((a) => a.entries);
