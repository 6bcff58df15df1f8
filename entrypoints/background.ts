import { connectors } from '../src/connectors/registry';
import { database } from '../src/db/database';
import { createAllHandlers } from '../src/background/handlers';
import { setupMessageRouter } from '../src/background/router';
import { setupStorageGuard } from '../src/background/storage-guard';
import { setupExport } from '../src/background/export-handlers';
import { setupImportJobs } from '../src/background/import-handlers';
import { setupTabMemoryPruning } from '../src/background/owner-handlers';
import { setupChangeBroadcast } from '../src/background/change-broadcast';

export default defineBackground(() => {
  // Listeners are registered synchronously so a woken worker sees the event that woke it.
  const db = database();
  setupMessageRouter(createAllHandlers(db, connectors));
  setupStorageGuard(db);
  setupImportJobs(db, connectors);
  setupExport(db, connectors);
  setupTabMemoryPruning();
  // After each committed write to connections, receipts or records, open pages are told to re-read.
  setupChangeBroadcast(db);
});
