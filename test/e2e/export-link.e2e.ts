/**
 * Linking with a code the owner minted on the server, and what happens
 * without the host permission (the unmodified build, as installed).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../receiver/server';
import { browseAmazon } from './pages/amazon-site';
import { launchWithServerAccess } from './pages/server-browser';
import { ServerPanelPage } from './pages/server-panel';
import { extensionVisible, serverVisible } from './pages/server-receiver';
import { launchExtension, type ExtensionSession } from './support/extension';
import { listConnections } from './support/api';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function ownerMintsCode(server: Receiver, bindingName: string): Promise<string> {
  const manifest = readFileSync(path.resolve(import.meta.dirname, '../../manifests/amazon.json'), 'utf8');
  const post = (route: string, body: string) => fetch(`${server.origin}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect((await post('/connectors', manifest)).status).toBeLessThan(300);
  const minted = (await (await post('/_ref/device-exporters/enrollment-codes', JSON.stringify({ connector_id: 'amazon', local_binding_name: bindingName }))).json()) as { enrollment_code: string };
  return minted.enrollment_code;
}

describe('linking', () => {
  it('with an enrollment code the owner created on the server', async () => {
    const server = await startReceiver();
    cleanups.push(() => server.close());
    const session = await launchWithServerAccess();
    cleanups.push(() => session.close());
    await browseAmazon(session, 'orders-2024-sam.html');
    const [sam] = await listConnections(session);
    const code = await ownerMintsCode(server, sam!.accountKey!);

    const panel = await ServerPanelPage.open(session);
    await panel.selectConnection(sam!.displayName);
    expect(await panel.link(server.origin, code)).toMatch(/everything is on your server/);
    const status = await panel.status();
    expect(status.status).toBe('active');
    const link = (await session.call<{ connectionId: string; link: { connectorInstanceId: string } }[]>('export.status')).find((entry) => entry.connectionId === sam!.id)!.link;
    expect(await serverVisible(server.origin, link.connectorInstanceId)).toEqual(await extensionVisible(session, sam!.id));
    // The same code again is refused in owner words.
    await panel.page.reload();
    await panel.selectConnection(sam!.displayName);
    await panel.page.getByTestId('unlink-server').click();
    await panel.page.getByTestId('link-server').waitFor();
    const refused = await panel.link(server.origin, code);
    expect(refused).toMatch(/unknown or was already used|already used/);
  });

  it('without host permission for the server, linking is refused and nothing is sent', async () => {
    const server = await startReceiver();
    cleanups.push(() => server.close());
    const session: ExtensionSession = await launchExtension();
    cleanups.push(() => session.close());
    await browseAmazon(session, 'orders-2024-sam.html');
    const [sam] = await listConnections(session);
    await expect(session.call('export.link', { connectionId: sam!.id, serverOrigin: server.origin })).rejects.toThrow(/server_permission_needed.*permission to reach/);
    expect(server.state.requestLog).toEqual([]);
  });
});
