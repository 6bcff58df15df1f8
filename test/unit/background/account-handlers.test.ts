// @vitest-environment happy-dom
/**
 * Account identity through the background's handlers, with the real Amazon
 * connector: an import's account name is checked, import-then-visit and
 * visit-then-import end in one connection, merges and moves answer in owner
 * words and take a backup first.
 */
import { describe, expect, it } from 'vitest';
import { createAccountHandlers } from '../../../src/background/account-handlers';
import { createHandlers, RequestError } from '../../../src/background/handlers';
import { createImportHandlers } from '../../../src/background/import-handlers';
import { toSubmission } from '../../../src/capture/page-capture';
import { greetingNameRefusal } from '../../../src/connectors/amazon';
import { amazonMeta } from '../../../src/connectors/amazon/meta';
import { amazonPageExtractor } from '../../../src/connectors/amazon/page';
import { connectors } from '../../../src/connectors/registry';
import type { GleanerDatabase } from '../../../src/db/database';
import type { TokenStore } from '../../../src/export/deps';
import { requestSchemas } from '../../../src/messages/protocol';
import { expectations, makeAmazonExportZip, readAmazonFixture, type AmazonPageFixture } from '../../fixtures/amazon';
import { rejectionOf } from '../../support/errors';
import { freshDb } from '../../support/streams';
import { stageBytes } from '../import/support';

function captureOf(fixture: AmazonPageFixture) {
  const { url } = expectations.pages[fixture];
  const doc = new DOMParser().parseFromString(readAmazonFixture(fixture), 'text/html');
  const target = { connectorKey: amazonMeta.key, extractorVersion: amazonMeta.extractorVersion, extractor: amazonPageExtractor, submit: async () => undefined };
  return { url, request: requestSchemas['capture.submit'].parse(toSubmission(target, new URL(url), amazonPageExtractor.extract(doc, new URL(url)))) };
}

function memoryTokens(): TokenStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, get: async (id) => map.get(id), set: async (id, token) => void map.set(id, token), remove: async (id) => void map.delete(id) };
}

function setup(db: GleanerDatabase) {
  const tokens = memoryTokens();
  const unlinked: string[] = [];
  const handlers = {
    ...createHandlers(db, connectors),
    ...createImportHandlers(db, connectors),
    ...createAccountHandlers(db, connectors, { tokens, unlink: async (id) => void unlinked.push(id) }),
  };
  return { handlers, tokens, unlinked };
}

async function visit(handlers: ReturnType<typeof setup>['handlers'], fixture: AmazonPageFixture) {
  const { url, request } = captureOf(fixture);
  return handlers['capture.submit'](request, { senderTabUrl: url });
}

/** Previews Dana's export zip; returns the ready job. */
async function preview(db: GleanerDatabase, handlers: ReturnType<typeof setup>['handlers']) {
  const stagedId = await stageBytes(db, makeAmazonExportZip(), 'Your Orders.zip');
  const started = await handlers['import.start']({ stagedId });
  for (;;) {
    const job = await handlers['import.get']({ jobId: started.id });
    if (job.status === 'ready') return job;
    if (job.status !== 'received' && job.status !== 'parsing') throw new Error(`job ended ${job.status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function committed(handlers: ReturnType<typeof setup>['handlers'], jobId: string) {
  for (;;) {
    const job = await handlers['import.get']({ jobId });
    if (job.status === 'committed' || job.status === 'already_imported') return job;
    if (job.status === 'failed' || job.status === 'cancelled') throw new Error(`job ended ${job.status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, RequestError);

describe('naming the account of an import', () => {
  it('refuses an empty name and the full name on the addresses, showing the export’s evidence', async () => {
    const db = await freshDb();
    const { handlers } = setup(db);
    const job = await preview(db, handlers);
    expect(job.preview?.accountEvidence?.label).toBe('Names on this export’s shipping addresses');
    expect(job.preview?.accountEvidence?.values[0]?.value).toBe('Dana Whitfield');
    expect(job.preview?.accountNaming?.prompt).toBe('The name Amazon greets you with');
    const empty = await rejection(handlers['import.confirm']({ jobId: job.id, target: { newConnection: { accountName: '  ' } } }));
    expect(empty.code).toBe('account_name_needed');
    expect(empty.message).toMatch(/Type the name Amazon greets you with before importing/);
    const full = await rejection(handlers['import.confirm']({ jobId: job.id, target: { newConnection: { accountName: 'Dana Whitfield' } } }));
    expect(full.message).toMatch(/first name only \("Hello, Dana"\)/);
    expect(await db.connections.count()).toBe(0);
    expect((await handlers['import.get']({ jobId: job.id })).status).toBe('ready');
  });

  it('the Amazon check accepts a greeting name and strips nothing it should not', () => {
    expect(greetingNameRefusal('Dana', ['Dana Whitfield'])).toBeUndefined();
    expect(greetingNameRefusal('Mary Ann', ['Mary Ann Lee'])).toBeUndefined();
    expect(greetingNameRefusal('Hello, Dana', [])).toMatch(/only the name after "Hello,".*"Dana"/);
  });

  it('import named "Dana", then a visit greeted "Hello, Dana": one connection, now by the greeting’s evidence', async () => {
    const db = await freshDb();
    const { handlers } = setup(db);
    const job = await preview(db, handlers);
    await handlers['import.confirm']({ jobId: job.id, target: { newConnection: { accountName: 'Dana' } } });
    const done = await committed(handlers, job.id);
    const reply = await visit(handlers, 'orders-2023-dana.html');
    expect(reply.connectionId).toBe(done.connectionId);
    const [only, ...others] = await db.connections.toArray();
    expect(others).toEqual([]);
    expect(only).toMatchObject({ accountKey: expectations.accounts.dana.key, accountEvidence: 'greeting on www.amazon.com' });
    expect(only!.accountNamedBy).toBeUndefined();
  });

  it('a visit, then the import named "Dana": one connection, and the preview suggests it by overlap', async () => {
    const db = await freshDb();
    const { handlers } = setup(db);
    const reply = await visit(handlers, 'orders-2023-dana.html');
    const job = await preview(db, handlers);
    expect(job.preview?.suggestedConnectionId).toBe(reply.connectionId);
    expect(job.preview?.candidates[0]?.overlap).toBeGreaterThan(0);
    await handlers['import.confirm']({ jobId: job.id, target: { newConnection: { accountName: 'Dana' } } });
    expect((await committed(handlers, job.id)).connectionId).toBe(reply.connectionId);
    expect(await db.connections.count()).toBe(1);
  });
});

describe('merge and move through the handlers', () => {
  it('merges an owner-named import into the greeted connection after a backup, moving the only link’s token', async () => {
    const db = await freshDb();
    const { handlers, tokens } = setup(db);
    const page = await visit(handlers, 'orders-2023-dana.html');
    const job = await preview(db, handlers);
    await handlers['import.confirm']({ jobId: job.id, target: { newConnection: { accountName: 'Dana W' } } });
    const named = (await committed(handlers, job.id)).connectionId!;
    expect(named).not.toBe(page.connectionId);
    await db.exportLinks.put({ connectionId: named, serverOrigin: 'http://127.0.0.1:1', deviceId: 'd', sourceInstanceId: 's', connectorInstanceId: 'c', connectorId: 'gleaner-amazon', localBindingName: 'x', linkedAt: '', status: 'active', plannedThroughSeq: 0, nextBatchSeq: 0, cursorSeq: 0, acceptedBatches: 0, acceptedRecords: 0 });
    tokens.map.set(named, 'secret');
    const plan = await handlers['connections.merge.preview']({ keepId: page.connectionId!, absorbId: named });
    expect(plan.refusal).toBeUndefined();
    expect(plan.streams.find((entry) => entry.stream === 'orders')?.both).toBe(expectations.overlap.both.length);
    const result = await handlers['connections.merge']({ keepId: page.connectionId!, absorbId: named });
    expect(result.backup.fileName).toMatch(/^gleaner-backup-before-merge-/);
    expect(await db.exportFiles.get(result.backup.fileId)).toBeDefined();
    expect(result.exportLink).toBe('moves');
    expect(tokens.map.get(page.connectionId!)).toBe('secret');
    expect(tokens.map.has(named)).toBe(false);
    expect(await db.connections.count()).toBe(1);
  });

  it('refuses to merge Dana and Sam (two greetings), and to move a page visit', async () => {
    const db = await freshDb();
    const { handlers } = setup(db);
    const dana = await visit(handlers, 'orders-2024-dana.html');
    const sam = await visit(handlers, 'orders-2024-sam.html');
    const refused = await rejection(handlers['connections.merge']({ keepId: dana.connectionId!, absorbId: sam.connectionId! }));
    expect(refused.code).toBe('different_accounts');
    expect(refused.message).toMatch(/two different Amazon accounts: Dana on amazon.com .* and Sam on amazon.com/);
    expect(await db.exportFiles.count()).toBe(0);
    const moved = await rejection(handlers['imports.move']({ batchId: dana.batch!.id, connectionId: sam.connectionId! }));
    expect(moved.code).toBe('not_an_import');
  });
});
