// The fake browser has no IndexedDB; Dexie runs on fake-indexeddb in unit tests.
import 'fake-indexeddb/auto';
