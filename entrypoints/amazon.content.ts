import { amazonMeta } from '../src/connectors/amazon/meta';
import { amazonPageExtractor } from '../src/connectors/amazon/page';
import { runContentCapture } from '../src/capture/bootstrap';

export default defineContentScript({
  matches: [...amazonMeta.matches],
  runAt: 'document_idle',
  main: () => runContentCapture({ connectorKey: amazonMeta.key, extractorVersion: amazonMeta.extractorVersion, extractor: amazonPageExtractor }),
});
