/** Generic stream definitions for merge-engine tests, independent of any real service. */
import { z } from 'zod';
import type { StreamDefinition } from '../../src/connectors/types';
import { GleanerDatabase } from '../../src/db/database';
import { createConnection } from '../../src/core/connections';

const Item = z.looseObject({ id: z.string(), at: z.string().optional(), title: z.string().optional(), note: z.string().optional(), n: z.number().optional() });

function stream(name: string, crossMethodIdentity: boolean, crossMethodReconciliation: boolean): StreamDefinition {
  return {
    name,
    displayName: name,
    primaryKey: ['id'],
    eventTimeField: 'at',
    crossMethodIdentity,
    crossMethodReconciliation,
    schema: Item as unknown as StreamDefinition['schema'],
    describe: (data) => String(data.title ?? data.id),
  };
}

/**
 * The same streams as a connector exports them: a PDPP cursor field must be a
 * `date` or `date-time`, so `at` is declared a day (the export tests' records use days).
 */
export function exportableStreams(streams: readonly StreamDefinition[]): StreamDefinition[] {
  return streams.map((definition) => ({ ...definition, schema: (definition.schema as unknown as typeof Item).extend({ at: z.iso.date().optional() }) as unknown as StreamDefinition['schema'] }));
}

/** `orders`: one key is one record across methods (like Amazon). `views`: no identity rule (like Netflix). `synced`: reconciliation authorised. */
export const testStreams: StreamDefinition[] = [stream('orders', true, false), stream('views', false, false), stream('synced', true, true)];

let counter = 0;
export async function freshDb(): Promise<GleanerDatabase> {
  counter += 1;
  const db = new GleanerDatabase(`test-${counter}-${Math.random().toString(36).slice(2)}`);
  await db.open();
  return db;
}

export async function testConnection(db: GleanerDatabase, account = 'alice') {
  return createConnection(db, {
    connectorKey: 'test',
    connectorDisplayName: 'Test',
    accountHint: { key: `test|${account}`, label: account, evidence: 'test' },
  });
}
