/**
 * Which of these primary keys does a table hold? Asked of IndexedDB key by
 * key with `getKey`, all requests in flight at once in one read-only
 * transaction: no record is read or deserialized. The preview asks this for
 * every record of an upload against each candidate connection; Dexie's
 * `anyOf` walks a cursor one `continue` at a time instead (seconds per chunk
 * against a large connection), and `bulkGet` reads whole records.
 */
import type Dexie from 'dexie';

export async function knownKeys(db: Dexie, table: string, keys: readonly IDBValidKey[]): Promise<boolean[]> {
  if (keys.length === 0) return [];
  if (!db.isOpen()) await db.open();
  const idb = db.backendDB();
  return new Promise((resolve, reject) => {
    const found = new Array<boolean>(keys.length).fill(false);
    const transaction = idb.transaction(table, 'readonly');
    const store = transaction.objectStore(table);
    keys.forEach((key, index) => {
      const request = store.getKey(key);
      request.onsuccess = () => {
        found[index] = request.result !== undefined;
      };
    });
    transaction.oncomplete = () => resolve(found);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error('The key lookup was aborted.'));
  });
}
