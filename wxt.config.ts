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
    permissions: ['storage', 'unlimitedStorage'],
    host_permissions: connectorHostPermissions(),
    browser_specific_settings: {
      gecko: { id: 'gleaner@example.org', strict_min_version: '121.0' },
    },
  },
  vite: () => ({
    ssr: { noExternal: ['@webext-core/messaging', 'webextension-polyfill'] },
  }),
});
