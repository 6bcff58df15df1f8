/** Who may send what: the router's sender checks and schema parsing. */
import { describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import type { Browser } from 'wxt/browser';
import { createAllHandlers as createHandlers } from '../../../src/background/handlers';
import { routeMessage } from '../../../src/background/router';
import { connectors } from '../../../src/connectors/registry';
import { freshDb } from '../../support/streams';

const extensionPage = () => ({ id: fakeBrowser.runtime.id, url: fakeBrowser.runtime.getURL('/dashboard.html') });
const contentScript = (url: string) => ({ id: fakeBrowser.runtime.id, url, frameId: 0, tab: { url, id: 1 } }) as unknown as Browser.runtime.MessageSender;

describe('routeMessage', () => {
  it('answers read-side messages for Gleaner’s own pages', async () => {
    const handlers = createHandlers(await freshDb(), connectors);
    const reply = await routeMessage(handlers, { type: 'connections.list', payload: {} }, extensionPage());
    expect(reply).toEqual({ ok: true, data: [] });
  });

  it('refuses read-side messages from a content script on a web page', async () => {
    const handlers = createHandlers(await freshDb(), connectors);
    const reply = await routeMessage(handlers, { type: 'records.list', payload: { connectionId: 'con_x' } }, contentScript('https://www.amazon.com/your-orders/orders'));
    expect(reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('refuses captures that do not come from a tab’s main frame, and messages from other extensions', async () => {
    const handlers = createHandlers(await freshDb(), connectors);
    expect(await routeMessage(handlers, { type: 'capture.submit', payload: {} }, extensionPage())).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const subframe = { ...contentScript('https://www.amazon.com/your-orders/orders'), frameId: 3 };
    expect(await routeMessage(handlers, { type: 'capture.submit', payload: {} }, subframe)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await routeMessage(handlers, { type: 'connections.list', payload: {} }, { ...extensionPage(), id: 'someone-else' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('names unknown and malformed messages without echoing them', async () => {
    const handlers = createHandlers(await freshDb(), connectors);
    expect(await routeMessage(handlers, 'hello', extensionPage())).toMatchObject({ ok: false, error: { code: 'unknown_message' } });
    expect(await routeMessage(handlers, { type: 'records.delete_everything', payload: {} }, extensionPage())).toMatchObject({ ok: false, error: { code: 'unknown_message' } });
    // The one-shot import messages are gone: imports go through the job (import.start …).
    expect(await routeMessage(handlers, { type: 'artifact.preview', payload: { stagedId: 'stg_x' } }, extensionPage())).toMatchObject({ ok: false, error: { code: 'unknown_message' } });
    const malformed = await routeMessage(handlers, { type: 'capture.submit', payload: { connectorKey: 'amazon', secret: 'tok_123' } }, contentScript('https://www.amazon.com/your-orders/orders'));
    expect(malformed).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(JSON.stringify(malformed)).not.toContain('tok_123');
  });
});
