/** What every demo story gets: the browser with the built extension, the personal server, and `check` to state what must hold. */
import type { ExtensionSession } from '../../test/e2e/support/extension';
import type { ReferenceServer } from '../../test/support/pdpp-reference';

export interface DemoContext {
  session: ExtensionSession;
  server: ReferenceServer;
  /** Prints "ok"/"FAIL" and the sentence; a failed check makes the demo exit non-zero. */
  check(ok: boolean, what: string): void;
}

/** One service's story: prints in the owner's words (ids only on "technical" lines). */
export interface DemoStory {
  /** "Amazon". */
  title: string;
  run(context: DemoContext): Promise<void>;
}
