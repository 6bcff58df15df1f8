/** Upload → preview → choose connection → commit → receipt. */
import { useState } from 'preact/hooks';
import { database } from '../../db/database';
import { newId } from '../../core/hash';
import { send, type ResponseOf } from '../../messages/client';
import { formatBytes, formatWindow, summariseCounts } from '../format';

type Preview = ResponseOf<'artifact.preview'>;
type Commit = ResponseOf<'artifact.commit'>;

export function ImportPanel(props: { onImported(connectionId: string): void }) {
  const [preview, setPreview] = useState<Preview>();
  const [receipt, setReceipt] = useState<Commit>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [target, setTarget] = useState<string>('new');
  const [accountName, setAccountName] = useState('');

  async function choose(file: File) {
    setError(undefined);
    setPreview(undefined);
    setReceipt(undefined);
    setBusy(true);
    try {
      // Stage the file in the extension's database first, so the background parses its own durable copy.
      const stagedId = newId('stg');
      await database().staged.put({ id: stagedId, fileName: file.name, sizeBytes: file.size, lastModified: file.lastModified, stagedAt: new Date().toISOString(), blob: file });
      const result = await send('artifact.preview', { stagedId });
      setPreview(result);
      const imported = result.alreadyImported[0];
      setTarget(imported?.connectionId ?? result.matchedConnectionId ?? result.candidates.find((candidate) => candidate.overlap > 0)?.connectionId ?? 'new');
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  async function commit() {
    if (!preview) return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await send('artifact.commit', {
        stagedId: preview.stagedId,
        target: target === 'new' ? { newConnection: { accountName } } : { connectionId: target },
      });
      setReceipt(result);
      setPreview(undefined);
      props.onImported(result.connectionId);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  async function cancel() {
    if (preview) await send('artifact.discard', { stagedId: preview.stagedId }).catch(() => undefined);
    setPreview(undefined);
  }

  return (
    <section class="panel" aria-labelledby="import-heading">
      <h2 id="import-heading">Import an export file</h2>
      <p class="hint">A CSV, JSON or zip you downloaded from a service. Nothing is saved until you confirm.</p>
      <label class="file">
        <span>Choose a file</span>
        <input
          type="file"
          data-testid="artifact-input"
          accept=".csv,.json,.js,.zip,text/csv,application/json,application/zip"
          disabled={busy}
          onChange={(event) => {
            const file = (event.currentTarget as HTMLInputElement).files?.[0];
            if (file) void choose(file);
            (event.currentTarget as HTMLInputElement).value = '';
          }}
        />
      </label>
      {busy && <p role="status">Working…</p>}
      {error && (
        <p role="alert" class="error" data-testid="import-error">
          {error}
        </p>
      )}
      {preview && (
        <div class="preview" data-testid="import-preview">
          <h3>{preview.parserName}</h3>
          <p>
            <strong>{preview.fileName}</strong> ({formatBytes(preview.sizeBytes)}): {preview.rowsRead} rows read,{' '}
            {Object.entries(preview.recordsByStream)
              .map(([stream, count]) => `${count} ${stream.replaceAll('_', ' ')}`)
              .join(', ')}
            {preview.skipped ? `, ${preview.skipped} skipped` : ''}
            {preview.failed ? `, ${preview.failed} could not be read` : ''}.
          </p>
          {preview.eventRange && <p>Covers {formatWindow(preview.eventRange.start, preview.eventRange.end)}.</p>}
          {preview.alreadyImported.length > 0 && (
            <p class="notice" data-testid="already-imported">
              You imported this exact file before. Importing it again into the same connection changes nothing.
            </p>
          )}
          {preview.warnings.length > 0 && (
            <details>
              <summary>{preview.warnings.length} note(s) about this file</summary>
              <ul>
                {preview.warnings.map((warning, index) => (
                  <li key={index}>
                    {warning.message}
                    {warning.where ? ` (${warning.where})` : ''}
                  </li>
                ))}
              </ul>
            </details>
          )}
          <fieldset>
            <legend>Whose {preview.connectorName} account is this?</legend>
            {preview.candidates.map((candidate) => (
              <label key={candidate.connectionId} class="choice">
                <input type="radio" name="target" value={candidate.connectionId} checked={target === candidate.connectionId} onChange={() => setTarget(candidate.connectionId)} />
                {candidate.displayName}{' '}
                <span class="evidence">
                  ({candidate.overlap} of {candidate.compared} orders in this file are already there)
                </span>
              </label>
            ))}
            <label class="choice">
              <input type="radio" name="target" value="new" checked={target === 'new'} onChange={() => setTarget('new')} data-testid="target-new" />
              A new connection
            </label>
            {target === 'new' && !preview.accountHint && (
              <label class="field">
                Your name as {preview.connectorName} greets you (so pages you visit later join this connection)
                <input type="text" value={accountName} data-testid="account-name" onInput={(event) => setAccountName((event.currentTarget as HTMLInputElement).value)} />
              </label>
            )}
          </fieldset>
          <div class="actions">
            <button type="button" onClick={() => void commit()} disabled={busy} data-testid="confirm-import">
              Import
            </button>
            <button type="button" class="secondary" onClick={() => void cancel()} disabled={busy}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {receipt && (
        <div class="receipt" role="status" data-testid="import-receipt" data-outcome={receipt.outcome} data-batch-id={receipt.batch.id}>
          <h3>{receipt.outcome === 'already_imported' ? 'Already imported — here is the original receipt' : 'Imported'}</h3>
          <p>{summariseCounts(receipt.batch.counts)}.</p>
          {receipt.batch.eventRange && <p>Covers {formatWindow(receipt.batch.eventRange.start, receipt.batch.eventRange.end)}.</p>}
          <p class="hint">Next: visit Your Orders on the site now and then to keep recent orders current.</p>
        </div>
      )}
    </section>
  );
}
