import { connectors } from '../src/connectors/registry';
import { database } from '../src/db/database';
import { createHandlers } from '../src/background/handlers';
import { setupMessageRouter } from '../src/background/router';
import { setupStorageGuard } from '../src/background/storage-guard';

export default defineBackground(() => {
  // Listeners are registered synchronously so a woken worker sees the event that woke it.
  setupMessageRouter(createHandlers(database(), connectors));
  setupStorageGuard(database());
});
