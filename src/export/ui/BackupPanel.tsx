/** Download everything / restore from a backup (owned by the export feature). */
import { useState } from 'preact/hooks';
import { database } from '../../db/database';
import { newId } from '../../core/hash';
import { send, type ResponseOf } from '../../messages/client';
import { formatBytes } from '../../ui/format';

type Report = ResponseOf<'backup.restore'>;

export function BackupPanel(props: { onRestored(): void }) {
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const [report, setReport] = useState<Report>();

  async function download() {
    setError(undefined);
    setSaved(undefined);
    setBusy('backup');
    try {
      const created = await send('backup.create', {});
      const row = await database().exportFiles.get(created.fileId);
      if (!row) throw new Error('The backup could not be prepared; try again.');
      const url = URL.createObjectURL(row.blob);
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = created.fileName;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setSaved(`${created.fileName} (${formatBytes(created.sizeBytes)}): ${created.counts.connections} connections, ${created.counts.batches} imports and captures, ${created.counts.records} records.`);
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(undefined);
    }
  }

  async function restore(file: File) {
    setError(undefined);
    setReport(undefined);
    setBusy('restore');
    try {
      const fileId = newId('rst');
      await database().exportFiles.put({ id: fileId, kind: 'restore', fileName: file.name, createdAt: new Date().toISOString(), sizeBytes: file.size, blob: file });
      const result = await send('backup.restore', { fileId });
      setReport(result);
      props.onRestored();
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <section class="panel" aria-labelledby="backup-heading" data-testid="backup-panel">
      <h2 id="backup-heading">Backup</h2>
      <p>Keep everything Gleaner holds in one file, or bring a backup into this browser. A backup holds your records, where each came from, and what was covered; never a password or server link.</p>
      <div class="actions">
        <button type="button" disabled={!!busy} onClick={() => void download()} data-testid="backup-download">
          {busy === 'backup' ? 'Preparing…' : 'Download everything'}
        </button>
        <label class="button secondary">
          Restore from a backup{' '}
          <input
            type="file"
            accept=".ndjson,application/x-ndjson"
            disabled={!!busy}
            data-testid="backup-input"
            onChange={(event) => {
              const input = event.currentTarget as HTMLInputElement;
              const file = input.files?.[0];
              if (file) void restore(file);
              input.value = '';
            }}
          />
        </label>
      </div>
      {saved && <p class="success" role="status" data-testid="backup-saved">Saved {saved}</p>}
      {busy === 'restore' && <p>Restoring…</p>}
      {report && (
        <div class={report.warnings.length > 0 ? 'warning' : 'success'} role="status" data-testid="restore-report">
          <p>
            Restored into {report.connections.map((connection) => `${connection.displayName}${connection.created ? ' (new here)' : ''}`).join(', ') || 'no connection'}: {report.batchesRestored} imports and captures added
            {report.batchesAlreadyPresent > 0 ? `, ${report.batchesAlreadyPresent} already here` : ''}
            {report.batchesSkipped > 0 ? `, ${report.batchesSkipped} of the same files already imported` : ''}. Nothing already here was replaced.
          </p>
          {report.warnings.map((warning, index) => (
            <p key={index}>{warning}</p>
          ))}
        </div>
      )}
      {error && (
        <p class="error" role="alert" data-testid="backup-error">
          {error}
        </p>
      )}
    </section>
  );
}
