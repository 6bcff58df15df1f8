// @vitest-environment happy-dom
/** One upload, several accounts: a Netflix account export routed profile by profile (src/import/routes.ts). */
import { describe, expect, it } from 'vitest';
import { connectors } from '../../../src/connectors/registry';
import { createConnection } from '../../../src/core/connections';
import { ImportRunner } from '../../../src/import/runner';
import type { RoutedJob } from '../../../src/import/routes';
import type { GleanerDatabase } from '../../../src/db/database';
import { freshDb } from '../../support/streams';
import { expectations, FULL_EXPORT_ZIP_NAME, makeFullExportZip, netflixFixtureBytes } from '../../fixtures/netflix';
import { stageBytes } from './support';

async function preview(db: GleanerDatabase, runner: ImportRunner, bytes: Uint8Array, name: string) {
  const job = await runner.start(await stageBytes(db, bytes, name, Date.UTC(2024, 2, 16, 12)));
  await runner.whenIdle();
  return runner.get(job.id);
}

async function recordsOf(db: GleanerDatabase, connectionId: string) {
  return db.records.where('connectionId').equals(connectionId).toArray();
}

describe('an upload holding several accounts', () => {
  it('previews each profile’s share, then stores each in its own connection with its own receipt', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    await runner.saveSettings({ chunkRows: 2 });
    // Dana's pages were captured before: her connection exists; Sam's does not.
    const dana = await createConnection(db, { connectorKey: 'netflix', connectorDisplayName: 'Netflix', accountHint: { key: expectations.profileKeys.dana, label: 'Dana', evidence: 'signed-in profile' } });
    const ready = await preview(db, runner, makeFullExportZip(), FULL_EXPORT_ZIP_NAME);
    expect(ready.status).toBe('ready');
    expect(ready.preview!.routes!.map((route) => [route.accountHint.label, route.records, route.skipped, route.connectionId])).toEqual([
      ['Dana', 5, 4, dana.id],
      ['Sam O.', 2, 2, undefined],
    ]);
    expect(ready.preview!.routes![0]!.eventRange).toEqual({ start: expect.stringMatching(/^2023-10-0[23]$/), end: expect.stringMatching(/^2024-03-1[56]$/) });
    expect(await db.records.count()).toBe(0);

    await runner.confirm(ready.id, { newConnection: { accountName: '' } });
    await runner.whenIdle();
    const done = (await runner.get(ready.id)) as RoutedJob;
    expect(done.status).toBe('committed');
    const connections = await db.connections.where('connectorKey').equals('netflix').toArray();
    expect(connections.map((connection) => connection.displayName).sort()).toEqual(['Netflix — Dana', 'Netflix — Sam O.']);
    const sam = connections.find((connection) => connection.accountKey === expectations.profileKeys.sam)!;
    expect((await recordsOf(db, dana.id)).map((record) => record.data.profile_name)).toEqual(Array(5).fill('Dana'));
    expect((await recordsOf(db, sam.id)).map((record) => record.data.profile_name)).toEqual(Array(2).fill('Sam O.'));
    const batches = await db.batches.toArray();
    expect(batches).toHaveLength(2);
    const byConnection = new Map(batches.map((batch) => [batch.connectionId, batch]));
    expect(byConnection.get(dana.id)!.counts).toMatchObject({ parsed: 5, new: 5, skipped: 4 });
    expect(byConnection.get(sam.id)!.counts).toMatchObject({ parsed: 2, new: 2, skipped: 2 });
    expect(byConnection.get(sam.id)!.coverage).toEqual([expect.objectContaining({ stream: 'viewing_activity', start: '2024-03-02', completeness: 'partial' })]);
    expect(batches.every((batch) => batch.status === 'committed' && batch.provenance.kind === 'artifact' && batch.provenance.fileName === FULL_EXPORT_ZIP_NAME)).toBe(true);
    expect(done.counts).toMatchObject({ parsed: 7, new: 7, skipped: 6 });
    expect(done.routes!.map((route) => route.status)).toEqual(['committed', 'committed']);
    expect(await db.staged.count()).toBe(0);

    // The same zip again: its original receipt, nothing stored twice.
    const again = await preview(db, runner, makeFullExportZip(), FULL_EXPORT_ZIP_NAME);
    expect(again.status).toBe('already_imported');
    expect(await db.records.count()).toBe(7);
  });

  it('resumes after a stop, profile by profile, without storing anything twice', async () => {
    const db = await freshDb();
    let stops = 1;
    const runner = new ImportRunner(db, connectors, {
      afterChunk: (job) => {
        const routes = (job as RoutedJob).routes ?? [];
        // Stop the worker once, in the middle of the first profile.
        if (stops > 0 && routes[0]?.chunksCommitted === 1) {
          stops--;
          throw new Error('worker stopped');
        }
      },
    });
    await runner.saveSettings({ chunkRows: 2 });
    const ready = await preview(db, runner, makeFullExportZip(), FULL_EXPORT_ZIP_NAME);
    await runner.confirm(ready.id, { newConnection: { accountName: '' } });
    await runner.whenIdle();
    const stopped = await runner.get(ready.id);
    expect(stopped.status).toBe('failed');
    await runner.resume(ready.id);
    await runner.whenIdle();
    const done = await runner.get(ready.id);
    expect(done.status).toBe('committed');
    expect(await db.records.count()).toBe(7);
    const batches = await db.batches.toArray();
    expect(batches.map((batch) => batch.counts.parsed).sort()).toEqual([2, 5]);
  });

  it('leaves a one-profile file to the usual path (the owner sees the profile as the account)', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const onlyDana = new TextDecoder().decode(netflixFixtureBytes('ViewingActivity.csv')).split('\r\n').filter((line) => !line.startsWith('Sam O.')).join('\r\n');
    const ready = await preview(db, runner, new TextEncoder().encode(onlyDana), 'ViewingActivity.csv');
    expect(ready.preview!.routes).toBeUndefined();
    expect(ready.preview!.accountHint?.key).toBe(expectations.profileKeys.dana);
  });

  it('enters a profile with many new records into the change feed one row per chunk, a small one record by record', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const header = 'Profile Name,Start Time,Duration,Attributes,Title,Supplemental Video Type,Device Type,Bookmark,Latest Bookmark,Country\r\n';
    const row = (profile: string, i: number) => `${profile},${new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString().replace('T', ' ').slice(0, 19)},0:42:00,,Show ${i % 50}: Season 1: Part ${i} (Episode ${i % 9}),,Chrome PC (Cadmium),0:42:00,0:42:00,US (United States)\r\n`;
    const csv = header + Array.from({ length: 10_050 }, (_, i) => row('Dana', i)).join('') + Array.from({ length: 20 }, (_, i) => row('Sam O.', i)).join('');
    const ready = await preview(db, runner, new TextEncoder().encode(csv), 'ViewingActivity.csv');
    expect(ready.preview!.routes!.map((route) => [route.accountHint.label, route.records])).toEqual([['Dana', 10_050], ['Sam O.', 20]]);
    await runner.confirm(ready.id, { newConnection: { accountName: '' } });
    await runner.whenIdle();
    const done = (await runner.get(ready.id)) as RoutedJob;
    expect(done.status).toBe('committed');
    const [dana, sam] = done.routes!;
    const danaRows = await db.changes.filter((change) => change.batchId === dana!.batchId).toArray();
    expect(danaRows.filter((change) => change.kind === 'record')).toHaveLength(0);
    expect(danaRows.filter((change) => change.kind === 'bulk')).toHaveLength(dana!.chunksCommitted);
    expect(danaRows.reduce((sum, change) => sum + (change.count ?? 0), 0)).toBe(10_050);
    const samRows = await db.changes.filter((change) => change.batchId === sam!.batchId).toArray();
    expect(samRows.filter((change) => change.kind === 'record')).toHaveLength(20);
    expect(samRows.some((change) => change.kind === 'bulk')).toBe(false);
  }, 120_000); // ten thousand records through fake-indexeddb
});
