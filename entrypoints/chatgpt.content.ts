import { chatgptMeta } from '../src/connectors/chatgpt/meta';
import { chatgptPageExtractor } from '../src/connectors/chatgpt/page';
import { lookupSessionAccount, withAccount } from '../src/connectors/chatgpt/account';
import { runContentCapture } from '../src/capture/bootstrap';

export default defineContentScript({
  matches: [...chatgptMeta.matches],
  runAt: 'document_idle',
  // The account comes from the page's own session endpoint (same origin), asked once; without it nothing is stored.
  main: async () => {
    const account = await lookupSessionAccount();
    await runContentCapture({ connectorKey: chatgptMeta.key, extractorVersion: chatgptMeta.extractorVersion, extractor: withAccount(chatgptPageExtractor, account) });
  },
});
