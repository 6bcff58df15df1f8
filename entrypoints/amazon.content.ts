import { amazonMeta } from '../src/connectors/amazon/meta';
import { amazonPageExtractor } from '../src/connectors/amazon/page';
import { startPageCapture } from '../src/capture/page-capture';
import { send } from '../src/messages/client';

export default defineContentScript({
  matches: [...amazonMeta.matches],
  runAt: 'document_idle',
  main() {
    startPageCapture(
      {
        connectorKey: amazonMeta.key,
        extractorVersion: amazonMeta.extractorVersion,
        extractor: amazonPageExtractor,
        submit: (capture) => send('capture.submit', capture),
      },
      document,
      () => location.href,
    );
  },
});
