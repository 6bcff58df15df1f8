import { redditMeta } from '../src/connectors/reddit/meta';
import { redditPageExtractor } from '../src/connectors/reddit/page';
import { runContentCapture } from '../src/capture/bootstrap';

export default defineContentScript({
  matches: [...redditMeta.matches],
  runAt: 'document_idle',
  main: () => runContentCapture({ connectorKey: redditMeta.key, extractorVersion: redditMeta.extractorVersion, extractor: redditPageExtractor }),
});
