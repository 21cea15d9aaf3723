import { useI18n } from '../../i18n.js';
import { INTEGRATION_ROLES, PERSON_ROLES, type PersonRole, type Role } from './admin-api.js';

/** `isForToken` widens the choice, and the value, from a person's roles to every role. */
type RoleSelectProps =
  | { name: string; value: PersonRole; onChange: (role: PersonRole) => void; isForToken?: false }
  | { name: string; value: Role; onChange: (role: Role) => void; isForToken: true };

/** Each role under its name in the page's language; the value is the role the server knows. */
function RoleOptions({ roles }: { roles: readonly Role[] }) {
  const { t } = useI18n();
  return (
    <>
      {roles.map((role) => (
        <option key={role} value={role}>
          {t(`role_${role}`)}
        </option>
      ))}
    </>
  );
}

/**
 * A labelled choice of role. A person's account takes a person's role; an integration's token may
 * take any: the integrations' own roles first, then the people's a script may act as, in two groups.
 */
export function RoleSelect(props: RoleSelectProps) {
  const { t } = useI18n();
  return (
    <label>
      {t('role')}
      <select
        name={props.name}
        value={props.value}
        // The options are the roles of the lists below: the value is always one of them.
        onChange={(e) =>
          props.isForToken ? props.onChange(e.currentTarget.value as Role) : props.onChange(e.currentTarget.value as PersonRole)
        }
      >
        {props.isForToken ? (
          <>
            <optgroup label={t('integrationRoles')}>
              <RoleOptions roles={INTEGRATION_ROLES} />
            </optgroup>
            <optgroup label={t('personRoles')}>
              <RoleOptions roles={PERSON_ROLES} />
            </optgroup>
          </>
        ) : (
          <RoleOptions roles={PERSON_ROLES} />
        )}
      </select>
    </label>
  );
}
