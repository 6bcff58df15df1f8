/**
 * Whose account a connection is, and how sure Gleaner is: a key a service's
 * own page or file gave (a greeting, an account id) is evidence; a key made
 * from a name the owner typed at import is the owner's claim. Two connections
 * whose keys are both evidence and differ are two accounts, and are never
 * merged; a claim may be corrected by merging it into the account it meant.
 */
import type { Connection } from './model';

/** Did the owner name this account (rather than the service)? Connections from before `accountNamedBy` say so in their evidence. */
export function namedByOwner(connection: Pick<Connection, 'accountKey' | 'accountEvidence' | 'accountNamedBy'>): boolean {
  return connection.accountNamedBy === 'owner' || !connection.accountKey || /\bby you\b/i.test(connection.accountEvidence);
}

export interface AccountConflict {
  /** Owner words: why these two cannot be one account. */
  message: string;
}

/** Two different accounts by the services' own evidence (e.g. greeted "Hello, Dana" and "Hello, Sam"), or undefined. */
export function accountsDisagree(a: Connection, b: Connection, serviceName: string): AccountConflict | undefined {
  if (namedByOwner(a) || namedByOwner(b)) return undefined;
  if (a.accountKey === b.accountKey) return undefined;
  return {
    message:
      `These are two different ${serviceName} accounts: ${a.accountLabel} (${a.accountEvidence}) and ${b.accountLabel} (${b.accountEvidence}). ` +
      `Gleaner keeps different accounts apart, so they cannot be merged. If one of them holds an import of the other account's file, move that import instead.`,
  };
}

/** The identity a merged connection keeps: service evidence over an owner's claim, the kept connection's otherwise. */
export function mergedIdentity(keep: Connection, absorb: Connection): Pick<Connection, 'accountKey' | 'accountLabel' | 'accountEvidence' | 'accountNamedBy'> {
  const source = namedByOwner(keep) && !namedByOwner(absorb) ? absorb : keep.accountKey ? keep : absorb;
  return { accountKey: source.accountKey, accountLabel: source.accountLabel, accountEvidence: source.accountEvidence, accountNamedBy: source.accountNamedBy };
}
