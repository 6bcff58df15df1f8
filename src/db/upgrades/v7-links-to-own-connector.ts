/**
 * Schema v7 (export): links made before Gleaner registered its connectors
 * under keys of its own (`gleaner-amazon`, not the server's first-party
 * `amazon`) point at a connector the server re-registers as its own at every
 * boot, which declares no receipts stream. Such a link is paused with the
 * re-link sentence and its unsent batches (old field names, old connector)
 * are dropped; linking again enrolls under Gleaner's connector, a new server
 * connection, and sends the whole history there. Nothing stored is touched.
 */
import type { Transaction } from 'dexie';
import type { ExportBatchRow, ExportLinkRow } from '../../export/types';

export const RELINK_FOR_OWN_CONNECTOR =
  'Gleaner now describes your records to your server in a new way, under its own name there. Link again to send all of them; everything here is kept.';

export function needsRelink(link: Pick<ExportLinkRow, 'connectorId'>): boolean {
  return !link.connectorId.startsWith('gleaner-');
}

export async function pauseLinksToFirstPartyConnectors(tx: Transaction): Promise<void> {
  const links = tx.table<ExportLinkRow, string>('exportLinks');
  const batches = tx.table<ExportBatchRow, string>('exportBatches');
  for (const link of await links.toArray()) {
    if (!needsRelink(link)) continue;
    await batches.where('[connectionId+seq]').between([link.connectionId, -Infinity], [link.connectionId, Infinity]).filter((row) => row.status !== 'accepted').delete();
    await links.update(link.connectionId, { status: 'paused_auth', message: RELINK_FOR_OWN_CONNECTOR });
  }
}
