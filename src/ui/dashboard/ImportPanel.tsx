/**
 * Import an export file: the page only stages the file and shows the job;
 * reading, previewing and storing run in the background, so closing this
 * page (or the popup) loses nothing. Reused by the popup in compact mode.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { database } from '../../db/database';
import { newId } from '../../core/hash';
import { send, type ResponseOf } from '../../messages/client';
import { datesInWords, formatBytes, formatWindow, quietMonths, summariseCounts } from '../format';
import { DropZone } from '../DropZone';
import { AccountNameField } from './AccountNameField';
import { RoutesPreview, RoutesReceipt } from './ImportRoutes';

/** What the import drop zone takes, in the owner’s words. */
export const IMPORT_TAKES = 'Takes the CSV, JSON or zip file a service’s data export gives you; a whole zip is fine.';

type Job = ResponseOf<'import.get'>;

const WORKING = new Set(['received', 'parsing', 'committing']);
const SHOWN = new Set(['received', 'parsing', 'ready', 'committing', 'cancelled', 'failed']);
const POLL_MS = 400;

function plural(count: number, one: string, other = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : other}`;
}

function streamWords(recordsByStream: Record<string, number>): string {
  return Object.entries(recordsByStream)
    .map(([stream, count]) => plural(count, stream.replace(/_/g, ' ').replace(/s$/, ''), stream.replace(/_/g, ' ')))
    .join(', ');
}

function percent(part: number, whole: number): number {
  return whole > 0 ? Math.min(100, Math.round((part / whole) * 100)) : 0;
}

export interface ImportPanelProps {
  /** Called when records landed in a connection. */
  onImported?(connectionId: string): void;
  /** Popup width: fewer details, the same steps. */
  compact?: boolean;
}

export function ImportPanel({ onImported, compact = false }: ImportPanelProps) {
  const [job, setJob] = useState<Job>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [target, setTarget] = useState<string>('new');
  const [accountName, setAccountName] = useState('');
  const reported = useRef<string>();

  // Reopening the page shows the import that was running or waiting.
  useEffect(() => {
    void send('import.list', { limit: 5 })
      .then((jobs) => {
        // An unfinished job, or the newest one if it finished within the hour (its receipt and next step).
        const newest = jobs[0];
        const recent = newest && newest.status === 'committed' && Date.parse(newest.finishedAt ?? '') > Date.now() - 60 * 60 * 1000 ? newest : undefined;
        const open = jobs.find((candidate) => SHOWN.has(candidate.status)) ?? recent;
        if (open) {
          reported.current = open.id;
          adopt(open);
        }
      })
      .catch(() => undefined);
  }, []);

  // Follow the job while the background works on it (a missed answer, e.g. while the worker restarts, is retried).
  const [retry, setRetry] = useState(0);
  useEffect(() => {
    if (!job || !WORKING.has(job.status)) return;
    const timer = setTimeout(() => {
      void send('import.get', { jobId: job.id })
        .then(adopt)
        .catch(() => setRetry((count) => count + 1));
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [job, retry]);

  function adopt(next: Job) {
    setJob((previous) => {
      if (next.status === 'ready' && previous?.status !== 'ready') {
        const preview = next.preview;
        setTarget(preview?.matchedConnectionId ?? preview?.suggestedConnectionId ?? 'new');
      }
      return next;
    });
    if (next.status === 'committed' && next.connectionId && reported.current !== next.id) {
      reported.current = next.id;
      onImported?.(next.connectionId);
    }
  }

  async function act(run: () => Promise<Job>) {
    setBusy(true);
    setError(undefined);
    try {
      adopt(await run());
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  async function choose(file: File) {
    setJob(undefined);
    // Stage the file in the extension's database first: the background reads its own durable copy.
    await act(async () => {
      const stagedId = newId('stg');
      await database().staged.put({ id: stagedId, fileName: file.name, sizeBytes: file.size, lastModified: file.lastModified, stagedAt: new Date().toISOString(), blob: file });
      return send('import.start', { stagedId });
    });
  }

  const preview = job?.preview;
  const receiptShown = job && ['committed', 'cancelled', 'failed', 'already_imported'].includes(job.status);

  return (
    <section class={compact ? 'panel import compact' : 'panel import'} aria-labelledby="import-heading">
      <h2 id="import-heading">Import an export file</h2>
      {!compact && <p class="hint">Nothing is saved until you confirm, and closing this page does not stop an import.</p>}
      <DropZone
        accept=".csv,.json,.js,.zip,text/csv,application/json,application/zip"
        takes={IMPORT_TAKES}
        label="Choose a file"
        compact={compact}
        inputTestId="artifact-input"
        disabled={busy || job?.status === 'committing'}
        onFile={(file) => void choose(file)}
      />
      {error && (
        <p role="alert" class="error" data-testid="import-error">
          {error}
        </p>
      )}
      {job?.status === 'refused' && (
        <p role="alert" class="error" data-testid="import-error" data-code={job.error?.code}>
          {job.error?.message} Nothing was saved.
        </p>
      )}
      {job && (job.status === 'received' || job.status === 'parsing') && (
        <div role="status" data-testid="import-working" data-job-id={job.id}>
          <p>
            {job.status === 'received' ? `Received ${job.fileName}; checking whether you imported it before…` : `Reading ${job.fileName}…`}
          </p>
          <progress max={100} value={percent(job.bytesRead, job.sizeBytes)} aria-label="Reading the file" style={{ width: '100%' }} />
        </div>
      )}
      {job?.status === 'ready' && preview && (
        <div class="preview" data-testid="import-preview" data-job-id={job.id}>
          <h3>{preview.parserName}</h3>
          <p>
            <strong>{job.fileName}</strong> ({formatBytes(job.sizeBytes)}): {plural(preview.rowsRead, 'row')} read, {streamWords(preview.recordsByStream)}.
          </p>
          <ul class="facts" data-testid="preview-facts">
            {preview.suggestedConnectionId ? (
              <li>
                {plural(preview.newRecords, 'new record')}, {plural(preview.knownRecords, 'record')} already known.
              </li>
            ) : (
              <li>{plural(preview.records, 'record')}, all new to Gleaner.</li>
            )}
            {preview.accountHint && (
              <li data-testid="preview-account">
                The file names the account {preview.accountHint.label} ({preview.accountHint.evidence}).
              </li>
            )}
            {preview.duplicatesInFile > 0 && <li>{plural(preview.duplicatesInFile, 'row')} repeated inside the file (counted once).</li>}
            {preview.failed > 0 && <li>{plural(preview.failed, 'row')} could not be read (see the notes).</li>}
            {preview.eventRange && <li>Covers {formatWindow(preview.eventRange.start, preview.eventRange.end)}.</li>}
            {preview.coveredThrough && <li data-testid="covered-through">Covered through {formatWindow(preview.coveredThrough, preview.coveredThrough)}: newer records come from visiting the site or a fresh export.</li>}
            {preview.undated > 0 && <li>{plural(preview.undated, 'record')} without a date (kept, shown undated).</li>}
            {!compact && preview.gaps.length > 0 && (
              <li data-testid="quiet-months">
                {quietMonths(preview.gaps, Object.keys(preview.recordsByStream)[0])}
              </li>
            )}
          </ul>
          {preview.problems.length > 0 && (
            <details>
              <summary>{plural(preview.problems.reduce((sum, problem) => sum + problem.count, 0), 'note')} about this file</summary>
              <ul>
                {preview.problems.map((problem) => (
                  <li key={problem.code}>
                    {datesInWords(problem.message)}
                    {problem.count > 1 ? ` (${problem.count} times)` : ''}
                    {problem.where.length > 0 ? ` — ${problem.where.join(', ')}` : ''}
                  </li>
                ))}
              </ul>
            </details>
          )}
          {preview.routes && <RoutesPreview routes={preview.routes} connectorName={preview.connectorName} />}
          <fieldset hidden={!!preview.routes}>
            <legend>Whose {preview.connectorName} account is this?</legend>
            {preview.candidates.map((candidate) => (
              <label key={candidate.connectionId} class="choice">
                <input type="radio" name="target" value={candidate.connectionId} checked={target === candidate.connectionId} onChange={() => setTarget(candidate.connectionId)} />
                {candidate.displayName}{' '}
                <span class="evidence">
                  ({candidate.overlap} of {candidate.compared} {preview.recordNouns?.other ?? 'orders'} in this file are already there
                  {candidate.probable ? `; ${candidate.probable} probably are, kept from pages` : ''})
                </span>
              </label>
            ))}
            <label class="choice">
              <input type="radio" name="target" value="new" checked={target === 'new'} onChange={() => setTarget('new')} data-testid="target-new" />
              A new connection
            </label>
            {target === 'new' && !preview.accountHint && <AccountNameField preview={preview} value={accountName} onInput={setAccountName} />}
          </fieldset>
          <div class="actions">
            <button
              type="button"
              data-testid="confirm-import"
              disabled={busy}
              onClick={() => void act(() => send('import.confirm', { jobId: job.id, target: target === 'new' ? { newConnection: { accountName } } : { connectionId: target } }))}
            >
              Import
            </button>
            <button type="button" class="secondary" disabled={busy} onClick={() => void act(() => send('import.discard', { jobId: job.id })).then(() => setJob(undefined))}>
              Cancel
            </button>
          </div>
          {!compact && <Technical job={job} />}
        </div>
      )}
      {job?.status === 'committing' && (
        <div role="status" data-testid="import-progress" data-job-id={job.id}>
          <ol class="phases">
            <li>Received ✓</li>
            <li>Read ✓ ({plural(preview?.rowsRead ?? 0, 'row')})</li>
            <li>Compared with what you have ✓</li>
            <li>
              Storing: {plural(job.recordsCommitted, 'record')} of {(preview?.records ?? 0).toLocaleString('en-US')}
            </li>
          </ol>
          <progress max={100} value={percent(job.recordsCommitted, preview?.records ?? 0)} aria-label="Storing records" style={{ width: '100%' }} />
          <p class="hint">You can close this page; the import continues.</p>
          <button type="button" class="secondary" data-testid="cancel-import" disabled={busy || !!job.cancelRequested} onClick={() => void act(() => send('import.cancel', { jobId: job.id }))}>
            {job.cancelRequested ? 'Stopping…' : 'Stop importing'}
          </button>
        </div>
      )}
      {job && receiptShown && (
        <div
          class="receipt"
          role="status"
          data-testid="import-receipt"
          data-outcome={job.status === 'committed' ? 'merged' : job.status}
          data-batch-id={job.receipt?.id ?? ''}
          data-job-id={job.id}
        >
          <h3>
            {job.status === 'committed' && `Imported into ${job.connectionName ?? 'your connection'}`}
            {job.status === 'already_imported' && 'Already imported — here is the original receipt'}
            {job.status === 'cancelled' && 'Import stopped — part of the file is stored'}
            {job.status === 'failed' && 'Import stopped by a problem — part of the file is stored'}
          </h3>
          {job.status === 'already_imported' && (
            <p class="info" data-testid="already-imported">
              {job.receipt?.artifactSha256 && job.sha256 !== job.receipt.artifactSha256
                ? `Everything in this file was imported before${job.receipt.provenance.kind === 'artifact' ? `, in “${job.receipt.provenance.fileName}”` : ''} (on ${formatWindow(job.receipt.receivedAt, job.receipt.receivedAt)}). Nothing was changed.`
                : `You imported this exact file before${job.receipt ? ` (on ${formatWindow(job.receipt.receivedAt, job.receipt.receivedAt)})` : ''}. Nothing was read again or changed.`}
            </p>
          )}
          {job.error && job.status === 'failed' && <p class="error">{job.error.message}</p>}
          {job.routeReceipts && <RoutesReceipt receipts={job.routeReceipts} />}
          {job.receipt && !job.routeReceipts && <p>{summariseCounts(job.receipt.counts)}.</p>}
          {job.receipt?.eventRange && !job.routeReceipts && <p>Covers {formatWindow(job.receipt.eventRange.start, job.receipt.eventRange.end)}.</p>}
          <ul class="next" data-testid="next-actions">
            {job.nextActions.map((action, index) => (
              <li key={index}>{action}</li>
            ))}
          </ul>
          {(job.status === 'cancelled' || job.status === 'failed') && (
            <div class="actions">
              <button type="button" data-testid="resume-import" disabled={busy} onClick={() => void act(() => send('import.resume', { jobId: job.id }))}>
                Resume
              </button>
              <button type="button" class="secondary" disabled={busy} onClick={() => void act(() => send('import.discard', { jobId: job.id })).then(() => setJob(undefined))}>
                Keep what is stored
              </button>
            </div>
          )}
          {!compact && <Technical job={job} />}
        </div>
      )}
    </section>
  );
}

/** Identifiers for the curious, out of the way. */
function Technical({ job }: { job: Job }) {
  return (
    <details class="technical">
      <summary>Technical details</summary>
      <dl>
        <dt>File fingerprint (sha256)</dt>
        <dd>
          <code>{job.sha256 ?? 'worked out when the import starts (no file you imported has this size)'}</code>
        </dd>
        <dt>Import job</dt>
        <dd>
          <code>{job.id}</code>, {plural(job.chunksCommitted, 'chunk')} stored{job.runs > 1 ? `, resumed ${job.runs - 1} time(s)` : ''}
        </dd>
        {job.receipt && (
          <>
            <dt>Batch</dt>
            <dd>
              <code>{job.receipt.id}</code> ({job.receipt.status})
            </dd>
          </>
        )}
        {job.preview && job.preview.entries.length > 0 && (
          <>
            <dt>Files read</dt>
            <dd>{job.preview.entries.join(', ')}</dd>
          </>
        )}
      </dl>
    </details>
  );
}
