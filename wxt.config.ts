import { defineConfig } from 'wxt';
import { connectorHostPermissions } from './src/connectors/hosts';

/** The owner's personal server: asked for at link time (src/export/ui/ServerPanel.tsx), never at install. */
const PERSONAL_SERVER_ORIGINS = ['https://*/*', 'http://127.0.0.1/*', 'http://localhost/*'] as const;

const ICONS = { 16: 'icon/16.png', 32: 'icon/32.png', 48: 'icon/48.png', 128: 'icon/128.png' };
const TOOLBAR_BUTTON = { default_icon: ICONS, default_title: 'Gleaner' };

// Host permissions come from the connector registry: Gleaner reads only the
// hosts its connectors declare.
export default defineConfig({
  modules: ['@wxt-dev/webextension-polyfill'],
  srcDir: '.',
  entrypointsDir: 'entrypoints',
  publicDir: 'public',
  // GLEANER_OUT_DIR / GLEANER_NO_MINIFY: a second, readable build for profiling (`BENCH_PROFILE`), beside the real one.
  outDir: process.env.GLEANER_OUT_DIR ?? '.output',
  manifest: ({ manifestVersion }) => ({
    name: 'Gleaner',
    description: 'Keeps your own records from the sites you use, merged with their exports, in your browser.',
    // Drawn in scripts/icons/*.svg, rendered to public/icon/<size>.png by scripts/icons/render.ts (committed, not built).
    icons: ICONS,
    // The toolbar button (`browser_action` in Firefox's MV2 build); WXT adds the popup to it.
    ...(manifestVersion === 2 ? { browser_action: TOOLBAR_BUTTON } : { action: TOOLBAR_BUTTON }),
    permissions: ['storage', 'unlimitedStorage', 'alarms'],
    host_permissions: connectorHostPermissions(),
    // The owner's personal server: asked for at link time, for that origin only, never at install.
    optional_host_permissions: [...PERSONAL_SERVER_ORIGINS],
    // Firefox's MV2 build drops optional_host_permissions; there the same origins are optional permissions.
    ...(manifestVersion === 2 ? { optional_permissions: [...PERSONAL_SERVER_ORIGINS] } : {}),
    // 'wasm-unsafe-eval' lets the background compile WebAssembly (the streaming sha256 of
    // uploads, src/import/sha256-stream.ts); JavaScript eval stays forbidden.
    content_security_policy:
      manifestVersion === 2
        ? "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';"
        : { extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';" },
    browser_specific_settings: {
      gecko: { id: 'gleaner@example.org', strict_min_version: '121.0' },
    },
  }),
  hooks: {
    // Content scripts get WXT's plain `wxt/browser` (Firefox's `browser`, or Chrome's `chrome`, whose MV3
    // calls return promises) instead of webextension-polyfill: the polyfill was a third of every content
    // script (about 10 KB on the owner's pages) for the three calls capture makes (`storage.local.get`,
    // `storage.onChanged`, `runtime.sendMessage`), none of which needs it. The background and the extension
    // pages keep the polyfill (the router answers by returning a promise from `onMessage`).
    'vite:build:extendConfig': (entrypoints, config) => {
      if (!entrypoints.every((entrypoint) => entrypoint.type === 'content-script')) return;
      const alias = config.resolve?.alias;
      const plain = { find: /^wxt\/browser$/, replacement: '@wxt-dev/browser' };
      config.resolve = { ...config.resolve, alias: [plain, ...(Array.isArray(alias) ? alias : Object.entries(alias ?? {}).map(([find, replacement]) => ({ find, replacement: replacement as string })))] };
    },
  },
  vite: () => ({
    build: process.env.GLEANER_NO_MINIFY ? { minify: false } : {},
    ssr: { noExternal: ['@webext-core/messaging', 'webextension-polyfill'] },
  }),
});
