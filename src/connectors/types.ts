/**
 * What a connector declares. Adding a service means adding a folder under
 * `src/connectors/<key>/` that exports one `ConnectorDefinition`, and listing
 * it in `registry.ts`; nothing else switches on connector keys.
 */
import type { z } from 'zod';
import type {
  AccountHint,
  AcquisitionMethod,
  BatchWarning,
  CoverageClaim,
  Observation,
} from '../core/model';

export type FieldMergePolicy =
  /** Default: the newest observation's value wins, but never an empty value or a truncated prefix over a fuller one. */
  | 'newest'
  /** Keep the largest value (numbers or ISO strings), e.g. `update_time`. */
  | 'max'
  /**
   * For times: an ISO instant beats a bare day (when one method sees only the
   * day and another the exact instant); between equals, the newest wins. The
   * default for every stream's event-time field. (Amazon stores days from
   * both methods, the export's instant apart in `ordered_at`.)
   */
  | 'most_precise'
  /**
   * The value of the observation whose `by` field is largest wins, whichever
   * method brought it: a ChatGPT title renamed later wins by the larger
   * `update_time`. An observation without that field (a page, which shows no
   * times) ranks by when it was seen (its version's `asOf`): what a page
   * showed was current then.
   */
  | { by: string };

export interface StreamDefinition {
  name: string;
  displayName: string;
  /** Fields of `data` whose values, as strings joined by `|`, form the key. */
  primaryKey: string[];
  /** Field of `data` holding the event time (`YYYY-MM-DD` or ISO instant). */
  eventTimeField: string;
  /**
   * Cross-method identity rule: when true, equal keys seen by different
   * acquisition methods are one logical record (M2).
   */
  crossMethodIdentity: boolean;
  /**
   * When true, a `full` claim by one method may tombstone records that only
   * another method observed (M6). Almost always false.
   */
  crossMethodReconciliation: boolean;
  fieldMerge?: Record<string, FieldMergePolicy>;
  /** Validates one record's `data` (untrusted input from pages and files). */
  schema: z.ZodType<Record<string, unknown>>;
  /** A short owner-facing label for one record (also searched). */
  describe(data: Record<string, unknown>): string;
  /**
   * The record as the service shows it, in its own nouns, for the records
   * browser (an order: its number and total as the service shows them). Without
   * it, the title is `describe`'s label. Dates are the row's own (the event time).
   */
  present?(data: Record<string, unknown>): RecordView;
  /**
   * Records of another stream that are parts of one record of this stream
   * (an order's items): shown with it, and a search that finds a part finds
   * the record too. A part's key must begin with its record's key and `|`
   * (an item's key is `<order id>|<item key>`), so a page's parts are one
   * indexed read; `field` names the part's field holding that key (`order_id`).
   */
  parts?: StreamParts;
  /**
   * Owner-facing labels of `data` fields, in the order they are shown ("Total"
   * for `order_total`). Fields without a label (raw cents, internal keys) are
   * shown only under "Technical details".
   */
  fieldLabels?: Record<string, string>;
  /**
   * Where identity across methods cannot be proven (a title and a day), records
   * of different methods stay apart (`crossMethodIdentity: false`) and likely
   * pairs are shown as probable duplicates (src/core/probable-duplicates.ts):
   * derived on read, never merged, never changing what is exported.
   */
  probableDuplicates?: ProbableDuplicateRule;
}

/** How a stream spots records of different methods that are probably one event. */
export interface ProbableDuplicateRule {
  /** Why two records are paired, in owner words ("same title on the same day"). */
  reason: string;
  /**
   * Match keys of one record as seen by `method`: records of different methods
   * sharing any key are a candidate pair. Several keys where one side is vague
   * (a page's local day may be either of two UTC days).
   */
  matchKeys(data: Record<string, unknown>, method: AcquisitionMethod): string[];
}

/** One record in the service's nouns. */
export interface RecordView {
  /** What it is: "Order 111-2222222-3333333", an item's name. */
  title: string;
  /** Short facts as the service shows them, in order: "$27.50", "Delivered January 18", "2 × $12.47". */
  facts: string[];
  /** Where it belongs, for a part shown on its own: "In order 111-2222222-3333333". */
  partOf?: string;
}

/** See `StreamDefinition.parts`. */
export interface StreamParts {
  /** The stream holding the parts ("order_items"). */
  stream: string;
  /** The parts' field holding their record's key ("order_id"). */
  field: string;
}

/** What a page extractor saw on one page. */
export interface PageCapture {
  observations: Observation[];
  coverage: CoverageClaim[];
  accountHint?: AccountHint;
  warnings: BatchWarning[];
  /** Where the page sits in a list the service splits into pages (see `PagedListPosition`). */
  paging?: PagedListPosition;
}

/**
 * One page of a list the service shows in pages (Amazon's Your Orders for one
 * year: `startIndex` 0, 10, 20 …), sent only when the page itself could be part
 * of a complete read of the window (no record dated outside it). The background
 * joins consecutive pages of one list, seen within an hour, into one `full`
 * claim (`src/background/page-runs.ts`).
 */
export interface PagedListPosition {
  /** Which list ("year-2024"): pages of different lists never join. */
  list: string;
  /** The window the whole list covers (`2024-01-01` – `2024-12-31`). */
  start: string;
  end: string;
  /** Position of the page's first record in the list (Amazon's `startIndex`). */
  offset: number;
  /** Records of the list's first stream read on this page (orders): the next page starts at `offset + count`. */
  count: number;
  /** Does the page offer a next page? */
  next: boolean;
  /** How many records the service says the whole list holds ("43 orders placed in 2024"), when it says. */
  total?: number;
}

export interface PageExtractor {
  /** Does this extractor handle the page at `url`? */
  matches(url: URL): boolean;
  /** Reads what the page shows. Pure: only `doc` and `url`, no globals. */
  extract(doc: Document, url: URL): PageCapture;
}

/** One file handed to a parser: a bare upload or one entry of a zip. */
export interface ArtifactFile {
  /** Path inside the zip, or the uploaded file's name. */
  path: string;
  text(): string;
}

export interface ArtifactParseResult {
  observations: Observation[];
  coverage: CoverageClaim[];
  accountHint?: AccountHint;
  warnings: BatchWarning[];
  /** Rows the parser read (including skipped and failed ones). */
  rowsRead: number;
  skipped: number;
  failed: number;
  /** The files that contributed. */
  entries: string[];
}

export interface ArtifactParser {
  id: string;
  /** Owner words: "Amazon order history (Retail.OrderHistory CSV)". */
  displayName: string;
  /** Does this parser want a file at `path` (inside a zip or uploaded bare)? */
  claims(path: string): boolean;
  /** Parses every claimed file of one upload together (numbered parts merge). */
  parse(files: ArtifactFile[]): ArtifactParseResult;
}

/**
 * One way an owner gets records into Gleaner, written as a job they can do
 * ("Import your history from an export", "Keep recent orders current by
 * visiting Your Orders"). Shown on the dashboard's Sources cards.
 */
export interface AcquisitionPath {
  method: 'owner_artifact' | 'browser_polyfill';
  /** The job, in owner words. */
  title: string;
  /** One sentence on what it gives them and its limits. */
  summary: string;
  /** Steps to follow, when there are several. */
  steps?: string[];
  /** Where to go, with the link's words. */
  url?: string;
  urlLabel?: string;
  /**
   * Where one calendar year's pages are, with `{year}` in place of the year
   * (a plain string so it survives messaging); the owner's next steps link each missing year there.
   */
  yearUrl?: string;
  /** The link's words for one year, with `{year}` ("Your Orders for {year}"). */
  yearUrlLabel?: string;
  /** The pages' name in the service's words, for "Open Your Orders for 2025 and 2026". */
  pagesName?: string;
}

/** Connector-authored words for the popup and dashboard. */
export interface ConnectorOwnerCopy {
  acquisitionPaths: AcquisitionPath[];
  /** Singular and plural nouns per stream name ("order"/"orders"). */
  streamNouns?: Record<string, { one: string; other: string }>;
  /** What the records browser's search box suggests typing, in the service's words ("Item name, order number…"). */
  searchHint?: string;
}

export interface ConnectorDefinition {
  key: string;
  displayName: string;
  /** Hosts whose pages this connector reads; nothing else is ever read. */
  hosts: string[];
  /** Match patterns for the content script. */
  matches: string[];
  streams: StreamDefinition[];
  extractorVersion: string;
  parserVersion: string;
  pageExtractor: PageExtractor;
  artifactParsers: ArtifactParser[];
  /** Owner-facing steps to request the all-time export. */
  exportSteps: string[];
  /** Optional words for the owner UI: acquisition paths as owner jobs, stream nouns. */
  ownerCopy?: ConnectorOwnerCopy;
  /**
   * The account hint for an account the owner names when importing a file
   * that carries no account signal, shaped like the hint the pages give, so
   * later captures of that account route to the same connection.
   */
  accountHintFromOwnerName?(name: string): AccountHint | undefined;
  /**
   * How the owner names the account of a file that names none (`src/import/account-naming.ts`):
   * the field's words, the file's own evidence to show beside it, and a check of the typed name.
   */
  accountNaming?: AccountNaming;
}

export interface AccountNaming {
  /** The field's label, e.g. "The name Amazon greets you with". */
  prompt: string;
  /** One sentence under it: where the owner sees that name, and why it matters. */
  help: string;
  /** A field of the file's records that hints at the account (shown as "Names on this export's shipping addresses: …"). */
  evidence?: { stream: string; field: string; label: string };
  /** Why this name cannot be the account's (owner words), given the evidence values; undefined when it can. */
  check?(name: string, evidence: readonly string[]): string | undefined;
}
