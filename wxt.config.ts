import { defineConfig } from 'wxt';
import { connectorHostPermissions } from './src/connectors/hosts';

// Host permissions come from the connector registry: Gleaner reads only the
// hosts its connectors declare.
export default defineConfig({
  modules: ['@wxt-dev/webextension-polyfill'],
  srcDir: '.',
  entrypointsDir: 'entrypoints',
  publicDir: 'public',
  outDir: '.output',
  manifest: {
    name: 'Gleaner',
    description: 'Keeps your own records from the sites you use, merged with their exports, in your browser.',
    permissions: ['storage', 'unlimitedStorage', 'alarms'],
    host_permissions: connectorHostPermissions(),
    // The owner's personal server: asked for at link time, for that origin only, never at install.
    optional_host_permissions: ['https://*/*', 'http://127.0.0.1/*', 'http://localhost/*'],
    browser_specific_settings: {
      gecko: { id: 'gleaner@example.org', strict_min_version: '121.0' },
    },
  },
  vite: () => ({
    ssr: { noExternal: ['@webext-core/messaging', 'webextension-polyfill'] },
  }),
});
