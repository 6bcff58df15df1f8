/**
 * Naming the account of a file that names none (Amazon's order CSV): the
 * owner's name is checked before any connection is made, and the file's own
 * evidence (e.g. the names on its shipping addresses) is shown beside the
 * field. An import never creates an account-less connection: the name must
 * not be empty, and a connector may say more (`ConnectorDefinition.accountNaming`).
 */
import type { ConnectorDefinition } from '../connectors/types';
import type { Observation } from '../core/model';
import type { ImportPreview } from './types';

const MAX_VALUES = 5;

/** Distinct values of the connector's evidence field across a file's records, most frequent first. */
export class AccountEvidenceTally {
  private readonly counts = new Map<string, number>();

  constructor(private readonly connector: ConnectorDefinition) {}

  add(observations: readonly Observation[]): void {
    const evidence = this.connector.accountNaming?.evidence;
    if (!evidence) return;
    for (const observation of observations) {
      if (observation.stream !== evidence.stream) continue;
      const value = observation.data[evidence.field];
      if (typeof value !== 'string' || !value.trim()) continue;
      const text = value.trim().slice(0, 100);
      if (this.counts.size < 200 || this.counts.has(text)) this.counts.set(text, (this.counts.get(text) ?? 0) + 1);
    }
  }

  summary(): ImportPreview['accountEvidence'] {
    const evidence = this.connector.accountNaming?.evidence;
    if (!evidence || this.counts.size === 0) return undefined;
    const values = [...this.counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, MAX_VALUES);
    return { label: evidence.label, values: values.map(([value, count]) => ({ value, count })) };
  }
}

/** Why `name` cannot name this file's account (owner words), or undefined when it can. */
export function accountNameRefusal(connector: ConnectorDefinition, rawName: string, preview: Pick<ImportPreview, 'accountEvidence'>): string | undefined {
  const name = rawName.trim();
  const naming = connector.accountNaming;
  if (!name) {
    return naming
      ? `Type ${naming.prompt.charAt(0).toLowerCase()}${naming.prompt.slice(1)} before importing, or choose one of your ${connector.displayName} connections: this file does not say whose account it is.`
      : `Name this ${connector.displayName} account before importing, or choose one of your ${connector.displayName} connections: this file does not say whose account it is.`;
  }
  return naming?.check?.(name, (preview.accountEvidence?.values ?? []).map((entry) => entry.value));
}
