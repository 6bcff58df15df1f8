/**
 * What the export's link and drain share: injected dependencies (so unit tests
 * drive them without a browser), the owner-facing error, export settings, and
 * small helpers over server answers.
 */
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';
import { describeAnswer, type CallResult, type FetchLike } from './client';
import { DEFAULT_LIMITS, type BatchLimits } from './outbox';

/** Where device tokens live: `browser.storage.local` in the extension, a Map in tests. Never the database. */
export interface TokenStore {
  get(connectionId: string): Promise<string | undefined>;
  set(connectionId: string, token: string): Promise<void>;
  remove(connectionId: string): Promise<void>;
}

export interface ExportDeps {
  db: GleanerDatabase;
  connectors: readonly ConnectorDefinition[];
  tokens: TokenStore;
  /** Does Gleaner hold host permission for this origin? */
  hasOriginPermission(origin: string): Promise<boolean>;
  fetch: FetchLike;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** A retry due later than this is left to the alarm instead of waited for in the worker. */
  maxInlineWaitMs?: number;
  /** Called when a retry is due at `at` (ms), so the background can set an alarm. */
  scheduleRetry?: (at: number) => void;
  agentVersion?: string;
  /** Overrides of the batch limits (tests). */
  limits?: Partial<BatchLimits>;
}

/** An owner-facing refusal; `code` is stable for automation. */
export class ExportError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

export const SETTINGS_KEY = 'export.settings';
export interface ExportSettings {
  serverOrigin?: string;
  /** Records per batch (1–5000); default Gleaner's 5,000. */
  batchRecords?: number;
}

export async function readSettings(db: GleanerDatabase): Promise<ExportSettings> {
  return ((await db.meta.get(SETTINGS_KEY))?.value as ExportSettings | undefined) ?? {};
}

export async function writeSettings(db: GleanerDatabase, patch: ExportSettings): Promise<ExportSettings> {
  const next = { ...(await readSettings(db)), ...patch };
  await db.meta.put({ key: SETTINGS_KEY, value: next });
  return next;
}

export async function limitsFor(db: GleanerDatabase): Promise<BatchLimits> {
  const settings = await readSettings(db);
  return { ...DEFAULT_LIMITS, maxRecords: settings.batchRecords ?? DEFAULT_LIMITS.maxRecords };
}

export function refusal(result: CallResult, what: string): string {
  const id = result.requestId ? ` (server request ${result.requestId})` : '';
  return `${what}: ${describeAnswer(result.answer)}${id}.`;
}

export function ok(result: CallResult): boolean {
  return !('transportError' in result.answer) && result.answer.status >= 200 && result.answer.status < 300;
}

export function now(deps: Pick<ExportDeps, 'now'>): number {
  return (deps.now ?? Date.now)();
}

/** The connector a connection belongs to, or undefined when Gleaner no longer has it. */
export function connectorOf(deps: Pick<ExportDeps, 'connectors'>, connectorKey: string | undefined): ConnectorDefinition | undefined {
  return deps.connectors.find((candidate) => candidate.key === connectorKey);
}
