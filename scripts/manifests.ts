/**
 * `npm run manifests`: writes each connector's PDPP manifest (generated from
 * its definition, see src/export/manifest.ts) to `manifests/<key>.json`, and
 * prints the versions. Optionally registers them on a server:
 *
 *   npm run manifests -- --register http://127.0.0.1:7662
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connectors } from '../src/connectors/registry';
import { buildManifests } from '../src/export/manifest';

async function main() {
  const args = process.argv.slice(2);
  const registerAt = args[args.indexOf('--register') + 1];
  const outDir = path.resolve(import.meta.dirname, '../manifests');
  mkdirSync(outDir, { recursive: true });
  for (const manifest of await buildManifests(connectors)) {
    const file = path.join(outDir, `${manifest.connector_key}.json`);
    writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`${manifest.connector_key} ${manifest.version} → ${path.relative(process.cwd(), file)} (${manifest.streams.map((stream) => stream.name).join(', ')})`);
    if (args.includes('--register') && registerAt) {
      const response = await fetch(`${registerAt.replace(/\/+$/, '')}/connectors`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(manifest) });
      console.log(`  registered on ${registerAt}: ${response.status} ${await response.text()}`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
