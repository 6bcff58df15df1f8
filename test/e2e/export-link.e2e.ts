/**
 * Linking without host permission for the server (the unmodified build, as
 * installed): refused before anything reaches the real PDPP server.
 * Linking with a code the owner minted is in export.e2e.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startReferenceServer } from '../support/pdpp-reference';
import { browseAmazon } from './pages/amazon-site';
import { launchExtension } from './support/extension';
import { listConnections } from './support/api';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('linking', () => {
  it('without host permission for the server, linking is refused and nothing is sent', async () => {
    const server = await startReferenceServer();
    cleanups.push(() => server.close());
    const session = await launchExtension();
    cleanups.push(() => session.close());
    await browseAmazon(session, 'orders-2024-sam.html');
    const [sam] = await listConnections(session);
    await expect(session.call('export.link', { connectionId: sam!.id, serverOrigin: server.asUrl })).rejects.toThrow(/server_permission_needed.*permission to reach/);
    // Not even the manifest arrived, and the server has no connection from this browser.
    expect(await server.manifest('gleaner-amazon')).toBeUndefined();
    expect(await server.connections()).toEqual([]);
  });
});
