import { youtubeMeta } from '../src/connectors/youtube/meta';
import { youtubePageExtractor } from '../src/connectors/youtube/page';
import { runContentCapture } from '../src/capture/bootstrap';

export default defineContentScript({
  matches: [...youtubeMeta.matches],
  runAt: 'document_idle',
  main: () => runContentCapture({ connectorKey: youtubeMeta.key, extractorVersion: youtubeMeta.extractorVersion, extractor: youtubePageExtractor }),
});
