import type { Client } from 'aedes';
import { addressOf, type Rejection, type RejectionListener, type RejectionReason } from './rejection.js';

/**
 * Refusals of one connection's operations (SUBSCRIBEs and PUBLISHes the ACL refuses), bounded.
 * A SUBSCRIBE may carry 65,535 filters, each refused on its own ([MQTT-3.9.3]); recorded one by
 * one they wrote 65,535 dead letters and 26 MB of log in a second. So every refusal is counted
 * (the stats stay exact), the first few per reason are recorded (logged, dead-lettered), the rest
 * are summed into one record when the connection ends, and past a budget the connection is closed.
 */
export interface RefusalBudgetOptions {
  /** Refusals one connection may earn before it is closed; 0 turns the budget off. */
  maxPerConnection: number;
  /** Refusals recorded one by one per connection and reason; the rest are summarised. */
  recordedPerReason: number;
  /** Counts a refusal in the stats. */
  count(reason: RejectionReason): void;
  /** Logs and forwards a refusal (to the platform's dead letters). */
  record: RejectionListener;
}

export const REFUSAL_BUDGET_DEFAULTS = Object.freeze({ maxPerConnection: 100, recordedPerReason: 5 });

interface ReasonTally {
  recorded: number;
  suppressed: number;
  lastDetail: string;
}

interface ConnectionTally {
  total: number;
  isClosing: boolean;
  /** Refusals still arriving after the connection ended (the rest of a SUBSCRIBE's filters) are only counted. */
  hasEnded: boolean;
  byReason: Map<RejectionReason, ReasonTally>;
}

export interface RefusalBudget {
  /** A refusal of this connection's operation: counted, recorded or summarised, maybe the last straw. */
  refuse(client: Client, rejection: Rejection): void;
  /** The connection ended: one record per reason for what was not recorded one by one. */
  ended(client: Client): void;
}

export function createRefusalBudget(options: RefusalBudgetOptions): RefusalBudget {
  const tallies = new WeakMap<Client, ConnectionTally>();
  const tallyOf = (client: Client) => {
    let tally = tallies.get(client);
    if (!tally) {
      tally = { total: 0, isClosing: false, hasEnded: false, byReason: new Map() };
      tallies.set(client, tally);
    }
    return tally;
  };
  return {
    refuse(client, rejection) {
      options.count(rejection.reason);
      const tally = tallyOf(client);
      if (tally.hasEnded) return;
      tally.total += 1;
      const byReason = tally.byReason.get(rejection.reason) ?? { recorded: 0, suppressed: 0, lastDetail: '' };
      tally.byReason.set(rejection.reason, byReason);
      if (byReason.recorded < options.recordedPerReason) {
        byReason.recorded += 1;
        options.record(rejection);
      } else {
        byReason.suppressed += 1;
        byReason.lastDetail = rejection.detail;
      }
      if (options.maxPerConnection > 0 && tally.total > options.maxPerConnection && !tally.isClosing) {
        tally.isClosing = true;
        const exceeded: Rejection = {
          reason: 'refusal_budget_exceeded',
          clientId: client.id,
          address: addressOf(client.conn),
          detail: `client ${client.id} had more than ${options.maxPerConnection} operations refused on one connection: disconnected`,
        };
        options.count(exceeded.reason);
        options.record(exceeded);
        client.close();
      }
    },
    ended(client) {
      const tally = tallies.get(client);
      if (!tally || tally.hasEnded) return;
      tally.hasEnded = true; // kept (a WeakMap entry, gone with the client) so late refusals find it
      for (const [reason, byReason] of tally.byReason) {
        if (byReason.suppressed === 0) continue;
        options.record({
          reason,
          clientId: client.id,
          address: addressOf(client.conn),
          detail: `${byReason.suppressed} more ${reason} refusals of client ${client.id} on one connection, not recorded one by one; the last: ${byReason.lastDetail}`,
        });
      }
    },
  };
}
