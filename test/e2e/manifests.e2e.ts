/**
 * Every connector's manifest against the real PDPP reference server: accepted
 * on a fresh server (which registered its ~45 first-party manifests at boot),
 * enrollable (a browser binding), and still Gleaner's after a restart that
 * re-registers the first-party ones. No browser needed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectors } from '../../src/connectors/registry';
import { buildManifests, type ConnectorManifest } from '../../src/export/manifest';
import { startReferenceServer, type ReferenceServer } from '../support/pdpp-reference';

let server: ReferenceServer;
let manifests: ConnectorManifest[];
beforeAll(async () => {
  [server, manifests] = await Promise.all([startReferenceServer(), buildManifests(connectors)]);
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const streamsOf = (manifest: Record<string, unknown> | undefined) => (manifest?.streams as { name: string; primary_key: string[]; cursor_field?: string }[] | undefined)?.map((stream) => [stream.name, stream.primary_key, stream.cursor_field]);

describe("Gleaner's manifests on the real server", () => {
  it('use keys no first-party manifest uses', async () => {
    for (const manifest of manifests) {
      expect(manifest.connector_key).toMatch(/^gleaner-[a-z0-9-]+$/);
      expect(await server.manifest(manifest.connector_key), `${manifest.connector_key} is not first-party`).toBeUndefined();
    }
    expect(await server.manifest('amazon')).toBeDefined(); // the server's own, registered at boot
  });

  it('register (201), enroll (a browser binding), and survive a restart that re-registers the first-party manifests', async () => {
    for (const manifest of manifests) {
      const answer = await server.register(manifest);
      expect(answer, `${manifest.connector_key}: ${JSON.stringify(answer.body)}`).toMatchObject({ status: 201, body: { connector_key: manifest.connector_key } });
      expect(await server.mintCode(manifest.connector_key, `check-${manifest.connector_key}`)).toMatch(/^lde_/);
    }
    await server.stop();
    await server.start();
    for (const manifest of manifests) {
      const held = await server.manifest(manifest.connector_key);
      expect(held?.version).toBe(manifest.version);
      expect(streamsOf(held)).toEqual(streamsOf(manifest as unknown as Record<string, unknown>));
      // Registering the unchanged manifest again is harmless.
      expect((await server.register(manifest)).status).toBeLessThan(300);
    }
  });

  it('are refused with the server’s own sentence when a cursor is not a date (what Gleaner shows the owner)', async () => {
    const [manifest] = manifests;
    const broken = structuredClone(manifest!) as unknown as { connector_key: string; connector_id: string; streams: { schema: { properties: Record<string, unknown> }; cursor_field?: string }[] };
    broken.connector_key = broken.connector_id = 'gleaner-refusal-check';
    const stream = broken.streams[0]!;
    stream.schema.properties[stream.cursor_field!] = { type: 'string' };
    const answer = await server.register(broken);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toMatch(/cursor_field .* has an unsupported schema/);
  });
});
