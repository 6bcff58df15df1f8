/** Rows the PDPP export keeps in the database (owned by the export feature; see docs/DATA-MODEL.md). */

/** A connection's link to the owner's personal server. The device token is NOT here: it lives in extension storage. */
export interface ExportLinkRow {
  connectionId: string;
  serverOrigin: string;
  deviceId: string;
  sourceInstanceId: string;
  connectorInstanceId: string;
  connectorId: string;
  localBindingName: string;
  linkedAt: string;
  /** 'active' | 'paused_auth' (401: owner must re-link) | other states the export feature defines. */
  status: string;
  [extra: string]: unknown;
}

/** One outbound ingest batch, built deterministically from the change feed and kept until accepted. */
export interface ExportBatchRow {
  id: string;
  connectionId: string;
  seq: number;
  status: string;
  [extra: string]: unknown;
}
