import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { xConnector } from '../../../../src/connectors/x';
import { connectorByKey, connectorForUrl } from '../../../../src/connectors/registry';
import { connectorHostPermissions } from '../../../../src/connectors/hosts';
import { buildManifest } from '../../../../src/export/manifest';
import { tweetsStream } from '../../../../src/connectors/x/streams';
import { ids } from '../../../fixtures/x';

const source = (file: string) => readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../../../src/connectors/x', file), 'utf8');

describe('the X connector', () => {
  it('is registered by key and host, and its host is a permission', () => {
    expect(connectorByKey('x')).toBe(xConnector);
    expect(connectorForUrl('https://x.com/danawhit')).toBe(xConnector);
    expect(connectorForUrl('https://twitter.com/danawhit')).toBeUndefined();
    expect(connectorHostPermissions()).toContain('https://x.com/*');
  });

  it('follows the reference twitter_archive manifest: stream tweets, key id, cursor created_at', async () => {
    const manifest = await buildManifest(xConnector);
    const tweets = manifest.streams.find((stream) => stream.name === 'tweets')!;
    expect(manifest.connector_key).toBe('gleaner-x');
    expect(tweets.primary_key).toEqual(['id']);
    expect(tweets.cursor_field).toBe('created_at');
    const fields = Object.keys((tweets.schema as { properties: Record<string, unknown> }).properties);
    for (const field of ['id', 'text', 'created_at', 'favorite_count', 'retweet_count', 'in_reply_to_status_id', 'in_reply_to_screen_name', 'lang', 'media_count', 'url_count']) expect(fields).toContain(field);
  });

  it('shows a post in X’s words', () => {
    expect(tweetsStream.present!({ id: ids.amp, text: 'Hello', created_at: '2024-06-03T08:10:05.000Z', favorite_count: 1, retweet_count: 2, reply_count: 0, deleted_by_owner: true })).toEqual({ title: 'Hello', facts: ['Deleted by you', '0 replies', '2 reposts', '1 like'] });
    expect(tweetsStream.describe({ id: ids.amp })).toBe(`Post ${ids.amp}`);
  });

  it('keeps the content script light: page.ts imports only types, meta and util; util imports only types', () => {
    for (const [file, allowed] of [['page.ts', ['./meta', './util']], ['util.ts', []], ['meta.ts', []]] as const) {
      const imports = [...source(file).matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)];
      for (const m of imports) if (!m[1]) expect(allowed as readonly string[], `${file} imports ${m[2]}`).toContain(m[2]);
      expect(source(file)).not.toMatch(/new Date\(\)|Date\.now\(\)/);
    }
  });
});
