/**
 * The built extension with host permission for loopback servers already
 * granted, for the export tests.
 *
 * Why: Gleaner asks for the server's host permission at link time with
 * `permissions.request` (an optional permission, never at install). Headless
 * Chromium cannot show or answer that prompt, so the request never settles.
 * These tests therefore load a copy of `.output/chrome-mv3` whose manifest
 * also lists `http://127.0.0.1/*` under `host_permissions`, i.e. the state the
 * browser is in after the owner clicked Allow. Production code is unchanged:
 * the dashboard still calls `permissions.request` (which resolves `true` at
 * once for a permission already held) and the background still checks
 * `permissions.contains` before every server call. The path without the grant
 * is covered with the unmodified build (see export-link.e2e.ts).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXTENSION_DIR, launchExtension, type ExtensionSession } from '../support/extension';

/** A copy of the built extension with `http://127.0.0.1/*` granted, as after the owner allowed it. */
export function grantedExtensionCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gleaner-ext-granted-'));
  const manifestFile = path.join(dir, 'manifest.json');
  // A build running at the same moment can leave the output half-written; copy again until it is whole.
  for (let attempt = 0; ; attempt++) {
    rmSync(dir, { recursive: true, force: true });
    cpSync(EXTENSION_DIR, dir, { recursive: true });
    if (existsSync(manifestFile) && existsSync(path.join(dir, 'background.js'))) break;
    if (attempt > 40) throw new Error(`No built extension in ${EXTENSION_DIR}: run \`npx wxt build\` first.`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { host_permissions?: string[] };
  manifest.host_permissions = [...(manifest.host_permissions ?? []), 'http://127.0.0.1/*'];
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
  return dir;
}

/**
 * `launchExtension` (support/extension.ts) from `extensionDir` (default: a
 * granted copy). `userDataDir` keeps a profile across launches (a browser restart).
 */
export async function launchWithServerAccess(options: { userDataDir?: string; extensionDir?: string } = {}): Promise<ExtensionSession> {
  const extensionDir = options.extensionDir ?? grantedExtensionCopy();
  const ownsExtensionDir = !options.extensionDir;
  return launchExtension({
    userDataDir: options.userDataDir,
    extensionDir,
    onClose: () => {
      if (ownsExtensionDir) rmSync(extensionDir, { recursive: true, force: true });
    },
  });
}
