import { xMeta } from '../src/connectors/x/meta';
import { xPageExtractor } from '../src/connectors/x/page';
import { runContentCapture } from '../src/capture/bootstrap';

export default defineContentScript({
  matches: [...xMeta.matches],
  runAt: 'document_idle',
  main: () => runContentCapture({ connectorKey: xMeta.key, extractorVersion: xMeta.extractorVersion, extractor: xPageExtractor }),
});
