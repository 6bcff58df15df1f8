/**
 * `npm run demo`: each connector's story (scripts/demo/stories.ts), in headless
 * Chromium with the built extension, against local fixtures (no accounts, no
 * display, no network), each ending with an export to the real PDPP reference
 * server on this computer (../shared/pdpp-reference) and what the owner reads
 * back from it. Prints in the owner's words (ids only on "technical" lines)
 * and exits non-zero if a story breaks. `DEMO_ONLY=amazon` tells one story.
 */
import { launchWithServerAccess } from '../test/e2e/pages/server-browser';
import { buildReferenceServer, startReferenceServer } from '../test/support/pdpp-reference';
import { chromiumPath, MISSING_BROWSER_MESSAGE } from '../test/e2e/support/browser';
import { stories } from './demo/stories';

const problems: string[] = [];
function check(ok: boolean, what: string) {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) problems.push(what);
}

async function main() {
  if (!chromiumPath()) {
    console.error(MISSING_BROWSER_MESSAGE);
    process.exit(1);
  }
  console.log('Preparing a personal server on this computer (the PDPP reference server; the first run builds it, about two minutes)…');
  await buildReferenceServer();
  // The built extension, with the personal server's address (127.0.0.1) allowed as the owner would at link time.
  const server = await startReferenceServer();
  const session = await launchWithServerAccess().catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  try {
    const only = process.env.DEMO_ONLY?.toLowerCase();
    for (const story of stories.filter((candidate) => !only || candidate.title.toLowerCase() === only)) {
      console.log(`\n######## ${story.title}\n`);
      await story.run({ session, server, check });
    }
  } finally {
    await session.close();
    await server.close();
  }
  if (problems.length > 0) {
    console.error(`\nThe story broke: ${problems.join('; ')}`);
    process.exit(1);
  }
  console.log('\nThe story held.');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
