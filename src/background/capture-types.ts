/** What a capture carries besides its payload, and what the background answers it (shared by the capture handler and the owner UI's capture memory). */
import type { BatchReceipt } from '../core/merge-engine';
import type { AcquisitionBatch } from '../core/model';
import type { PagesRun } from '../ui/format';

export interface CaptureContext {
  /** URL of the tab that sent the capture, as the browser reports it (trusted). */
  senderTabUrl: string;
  /** Id of that tab, when the message came from a tab. */
  senderTabId?: number;
}

export interface CaptureReply {
  outcome: BatchReceipt['outcome'] | 'no_account';
  connectionId?: string;
  connectionName?: string;
  batch?: AcquisitionBatch;
  /** When this page completed a run of pages (src/background/page-runs.ts): the batch that claimed the whole window, how many pages made it, and what they hold together in the connector's words. */
  run?: { batch: AcquisitionBatch; pages: number; together: PagesRun };
  message: string;
}
