import type { AedesOptions, AuthErrorCode, AuthenticateError, Client, ConnectPacket } from 'aedes';
import { kioskIdSchema, type KioskId, type Topics } from '../protocol/topics.js';
import { decidePublish } from './acl.js';
import type { Principal } from './principal.js';
import { addressOf, PolicyRefusal, type Rejection, type RejectionListener } from './rejection.js';

/** Longest client id accepted; a kiosk id is at most 64 characters. */
const MAX_CLIENT_ID_LENGTH = 128;
/** Printable ASCII, no space: what logs, metrics labels and aedes' session map can hold safely. */
const CLIENT_ID_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${MAX_CLIENT_ID_LENGTH}}$`);

/** Who is behind an authenticated connection; the ACL decides from this alone. */

/** CONNACK return codes of MQTT 3.1.1 ([MQTT-3.2.2-3], table 3.1). */
const RETURN_CODE = {
  identifierRejected: 2,
  serverUnavailable: 3,
  badUserNameOrPassword: 4,
  notAuthorized: 5,
} as const;

export interface AuthOptions {
  topics: Topics;
  /** User names that are services (collector, dashboard…); every other user name is a kiosk id. */
  serviceNames: ReadonlySet<string>;
  /** Constant-time check of a machine's token (registry/tokens.ts isTokenValid behind it). */
  verifyKioskToken(kioskId: KioskId, token: Buffer): boolean;
  verifyServiceToken(username: string, token: Buffer): boolean;
  onRejected: RejectionListener;
}

export interface Authenticator {
  preConnect: NonNullable<AedesOptions['preConnect']>;
  authenticate: NonNullable<AedesOptions['authenticate']>;
  /** The principal of a client that passed `authenticate`. */
  principalOf(client: Client): Principal | undefined;
  /** When (performance.now()) the credentials of a client that passed `authenticate` were checked. */
  checkedAt(client: Client): number | undefined;
}

/** What the CONNECT packet said, before aedes replaces an empty client id with a generated one. */
interface ConnectFacts {
  clientId: string;
  isClean: boolean;
  will: ConnectPacket['will'];
}

interface Refusal {
  returnCode: (typeof RETURN_CODE)[keyof typeof RETURN_CODE];
  reason: Rejection['reason'];
  detail: string;
}

type ConnectDecision = { principal: Principal } | { refusal: Refusal };

function refuse(returnCode: Refusal['returnCode'], reason: Refusal['reason'], detail: string): ConnectDecision {
  return { refusal: { returnCode, reason, detail } };
}

/** Creates the aedes `preConnect` and `authenticate` hooks and the principal lookup the ACL uses. */
export function createAuthenticator(options: AuthOptions): Authenticator {
  const connectFacts = new WeakMap<Client, ConnectFacts>();
  const principals = new WeakMap<Client, Principal>();
  const checkedAt = new WeakMap<Client, number>();

  function identify(username: string, token: Buffer): ConnectDecision {
    if (options.serviceNames.has(username)) {
      return options.verifyServiceToken(username, token)
        ? { principal: { kind: 'service', name: username } }
        : refuse(RETURN_CODE.badUserNameOrPassword, 'bad_credentials', `service ${username} presented a wrong token`);
    }
    if (!kioskIdSchema.safeParse(username).success) {
      return refuse(
        RETURN_CODE.badUserNameOrPassword,
        'bad_credentials',
        `user name "${username}" is neither a service nor a kiosk id`,
      );
    }
    return options.verifyKioskToken(username, token)
      ? { principal: { kind: 'kiosk', kioskId: username } }
      : refuse(RETURN_CODE.badUserNameOrPassword, 'bad_credentials', `kiosk ${username} presented a wrong token`);
  }

  function decide(facts: ConnectFacts, username: string | undefined, password: Buffer | undefined): ConnectDecision {
    // [MQTT-3.1.3-8] demands return code 2 for a zero-byte client id with CleanSession 0; MQTT 3.1.1
    // lets a server refuse one with CleanSession 1 too ([MQTT-3.1.3-9]), and this one does: every
    // machine connects as itself, and a service's id names it in the logs.
    if (facts.clientId === '') {
      const detail = facts.isClean
        ? 'an empty client id is refused: connect with your machine id'
        : 'an empty client id cannot have a persistent session';
      return refuse(RETURN_CODE.identifierRejected, 'empty_client_id', detail);
    }
    if (!CLIENT_ID_PATTERN.test(facts.clientId)) {
      return refuse(
        RETURN_CODE.identifierRejected,
        'malformed_client_id',
        `client id ${JSON.stringify(facts.clientId.slice(0, 80))} is not 1-${MAX_CLIENT_ID_LENGTH} printable ASCII characters without spaces`,
      );
    }
    if (username === undefined || password === undefined) {
      return refuse(RETURN_CODE.badUserNameOrPassword, 'bad_credentials', 'CONNECT carried no user name or no password');
    }
    const identified = identify(username, password);
    if ('refusal' in identified) return identified;
    const { principal } = identified;
    // A machine's client id is its kiosk id, so a session, a takeover ([MQTT-3.1.4-2]) and a will
    // can only ever concern that machine.
    if (principal.kind === 'kiosk' && facts.clientId !== principal.kioskId) {
      return refuse(
        RETURN_CODE.identifierRejected,
        'client_id_mismatch',
        `kiosk ${principal.kioskId} connected with client id "${facts.clientId}"`,
      );
    }
    // The will is a publish made later on the client's behalf: refuse the connection now rather
    // than silently drop the will when it is due.
    if (facts.will !== undefined) {
      const decision = decidePublish(options.topics, principal, facts.will.topic, facts.will.retain ?? false);
      if (!decision.isAllowed) return refuse(RETURN_CODE.notAuthorized, 'will_not_allowed', `will refused: ${decision.detail}`);
    }
    return identified;
  }

  function decideSafely(facts: ConnectFacts, username: string | undefined, password: Buffer | undefined): ConnectDecision {
    try {
      return decide(facts, username, password);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return refuse(RETURN_CODE.serverUnavailable, 'auth_unavailable', `credentials could not be checked: ${message}`);
    }
  }

  return {
    preConnect(client, packet, callback) {
      connectFacts.set(client, { clientId: packet.clientId, isClean: packet.clean ?? true, will: packet.will });
      callback(null, true);
    },
    authenticate(client, username, password, done) {
      const startedAt = performance.now();
      const facts = connectFacts.get(client) ?? { clientId: client.id, isClean: client.clean, will: undefined };
      const decision = decideSafely(facts, username, password);
      if ('principal' in decision) {
        principals.set(client, decision.principal);
        checkedAt.set(client, startedAt);
        done(null, true);
        return;
      }
      const { returnCode, reason, detail } = decision.refusal;
      options.onRejected({ reason, clientId: facts.clientId, address: addressOf(client.conn), detail });
      const error: AuthenticateError = Object.assign(new PolicyRefusal(detail), {
        returnCode: returnCode as number as AuthErrorCode,
      });
      done(error, null);
    },
    principalOf: (client) => principals.get(client),
    checkedAt: (client) => checkedAt.get(client),
  };
}
