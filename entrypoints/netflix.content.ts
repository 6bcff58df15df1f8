import { netflixMeta } from '../src/connectors/netflix/meta';
import { netflixPageExtractor } from '../src/connectors/netflix/page';
import { runContentCapture } from '../src/capture/bootstrap';

export default defineContentScript({
  matches: [...netflixMeta.matches],
  runAt: 'document_idle',
  main: () => runContentCapture({ connectorKey: netflixMeta.key, extractorVersion: netflixMeta.extractorVersion, extractor: netflixPageExtractor }),
});
