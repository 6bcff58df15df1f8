/**
 * Putting an account back together, on a connection's page: merge another
 * connection of the same service into this one, or move one of this
 * connection's imports to another connection. Each shows a preview first
 * (records of each, what both have, what each keeps, where the server link
 * goes) and says why when Gleaner refuses. The work is in the background
 * (`connections.merge`, `imports.move`), which takes a backup first.
 */
import { useEffect, useState } from 'preact/hooks';
import { database } from '../../db/database';
import { send, type ResponseOf } from '../../messages/client';
import { countsInNouns, formatMoment, plural } from '../format';

type Connection = ResponseOf<'connections.list'>[number];
type Batch = ResponseOf<'batches.list'>[number];
type MergePlan = ResponseOf<'connections.merge.preview'>;
type MovePlan = ResponseOf<'imports.move.preview'>;
type Side = MergePlan['keep'];

function sideCounts(side: Side, streams: MergePlan['streams']): string {
  return countsInNouns(streams.map((entry) => ({ total: side.recordsByStream[entry.stream] ?? 0, one: entry.one, other: entry.other })));
}

function linkWords(plan: MergePlan): string {
  switch (plan.exportLink) {
    case 'keep':
      return `Stays linked to ${plan.keep.linkedTo}; the records ${plan.absorb.displayName} brings are sent there at the next export.`;
    case 'moves':
      return `${plan.absorb.displayName}’s link to ${plan.absorb.linkedTo} moves here; the records only this connection had are sent there at the next export.`;
    case 'unlink_other':
      return `Stays linked to ${plan.keep.linkedTo}. ${plan.absorb.displayName} is unlinked from ${plan.absorb.linkedTo} (what it already sent stays on that server); its records are sent with this connection’s.`;
    default:
      return 'Neither is linked to a server.';
  }
}

async function downloadBackup(fileId: string, fileName: string): Promise<void> {
  const row = await database().exportFiles.get(fileId);
  if (!row) return;
  const url = URL.createObjectURL(row.blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function Done(props: { text: string; backup: { fileId: string; fileName: string } }) {
  return (
    <div class="notice success" role="status" data-testid="account-change-done">
      <p>{props.text}</p>
      <p class="hint">
        A backup of everything as it was before was saved first.{' '}
        <button type="button" class="link" onClick={() => void downloadBackup(props.backup.fileId, props.backup.fileName)}>
          Download it
        </button>{' '}
        (restore it under Backup to undo).
      </p>
    </div>
  );
}

export function MergePreview({ plan }: { plan: MergePlan }) {
  return (
    <div class="merge-preview" data-testid="merge-preview" data-refused={plan.refusal ? plan.refusal.code : ''}>
      <table class="merge-table">
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">{plan.keep.displayName} (kept)</th>
            <th scope="col">{plan.absorb.displayName}</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Account</th>
            <td>
              {plan.keep.accountLabel} <span class="hint">({plan.keep.accountEvidence})</span>
            </td>
            <td>
              {plan.absorb.accountLabel} <span class="hint">({plan.absorb.accountEvidence})</span>
            </td>
          </tr>
          <tr>
            <th scope="row">Records</th>
            <td data-testid="merge-keep-records">{sideCounts(plan.keep, plan.streams)}</td>
            <td data-testid="merge-absorb-records">{sideCounts(plan.absorb, plan.streams)}</td>
          </tr>
          <tr>
            <th scope="row">Receipts</th>
            <td>
              {plural(plan.keep.imports, 'import', 'imports')}, {plural(plan.keep.captures, 'page visit', 'page visits')}
            </td>
            <td>
              {plural(plan.absorb.imports, 'import', 'imports')}, {plural(plan.absorb.captures, 'page visit', 'page visits')}
            </td>
          </tr>
          <tr>
            <th scope="row">Only here</th>
            <td>{countsInNouns(plan.streams.map((entry) => ({ total: entry.keepOnly, one: entry.one, other: entry.other })))}</td>
            <td>{countsInNouns(plan.streams.map((entry) => ({ total: entry.absorbOnly, one: entry.one, other: entry.other })))}</td>
          </tr>
          <tr>
            <th scope="row">In both</th>
            <td colSpan={2} data-testid="merge-both">
              <strong>{countsInNouns(plan.streams.map((entry) => ({ total: entry.both, one: entry.one, other: entry.other })))}</strong> <span class="hint">(each becomes one record, keeping what both said)</span>
            </td>
          </tr>
          <tr>
            <th scope="row">After the merge</th>
            <td colSpan={2} data-testid="merge-after">
              {countsInNouns(plan.streams.map((entry) => ({ total: entry.keepOnly + entry.absorbOnly + entry.both, one: entry.one, other: entry.other })))}, {plural(plan.keep.imports + plan.absorb.imports + plan.keep.captures + plan.absorb.captures, 'receipt', 'receipts')}
            </td>
          </tr>
        </tbody>
      </table>
      {plan.refusal ? (
        <p role="alert" class="error" data-testid="merge-refusal" data-code={plan.refusal.code}>
          {plan.refusal.message}
        </p>
      ) : (
        <ul class="merge-after">
          <li>
            One connection, <strong>{plan.keep.displayName}</strong>, for {plan.account.accountLabel} ({plan.account.accountEvidence}).
          </li>
          <li>Every receipt stays, and says which connection it came from; every record keeps where it came from.</li>
          <li>{linkWords(plan)}</li>
        </ul>
      )}
    </div>
  );
}

export function MergeConnections(props: { connection: Connection; batches: Batch[]; onChanged?(): void }) {
  const { connection } = props;
  const [siblings, setSiblings] = useState<Connection[]>([]);
  const [other, setOther] = useState('');
  const [plan, setPlan] = useState<MergePlan>();
  const [importId, setImportId] = useState('');
  const [moveTo, setMoveTo] = useState('');
  const [movePlan, setMovePlan] = useState<MovePlan>();
  const [done, setDone] = useState<{ text: string; backup: { fileId: string; fileName: string } }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void send('connections.list', {}).then((list) => setSiblings(list.filter((candidate) => candidate.connectorKey === connection.connectorKey && candidate.id !== connection.id)));
  }, [connection.id, connection.connectorKey, props.batches]);

  const imports = props.batches.filter((batch) => batch.method === 'owner_artifact' && batch.status === 'committed');

  async function act<T>(run: () => Promise<T>): Promise<T | undefined> {
    setBusy(true);
    setError(undefined);
    try {
      return await run();
    } catch (caught) {
      setError((caught as Error).message);
      return undefined;
    } finally {
      setBusy(false);
    }
  }

  if (siblings.length === 0 && !done) return null;
  return (
    <section class="panel" aria-labelledby="account-tools-heading" data-testid="account-tools">
      <h2 id="account-tools-heading">One account in two connections?</h2>
      <p class="hint">If another connection holds the same account (an import you named differently, say), merge it into this one. Nothing is lost: every record keeps where it came from.</p>
      <div class="row">
        <label class="field">
          Merge into this one
          <select
            data-testid="merge-other"
            value={other}
            onChange={(event) => {
              setOther((event.currentTarget as HTMLSelectElement).value);
              setPlan(undefined);
            }}
          >
            <option value="">Choose a connection…</option>
            {siblings.map((candidate) => (
              <option key={candidate.id} value={candidate.id}>
                {candidate.displayName}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="secondary" data-testid="merge-preview-button" disabled={!other || busy} onClick={() => void act(async () => setPlan(await send('connections.merge.preview', { keepId: connection.id, absorbId: other })))}>
          Preview the merge
        </button>
      </div>
      {plan && <MergePreview plan={plan} />}
      {plan && !plan.refusal && (
        <button
          type="button"
          data-testid="merge-confirm"
          disabled={busy}
          onClick={() =>
            void act(async () => {
              const result = await send('connections.merge', { keepId: connection.id, absorbId: plan.absorb.connectionId });
              setDone({ text: `Merged ${plan.absorb.displayName} into ${result.displayName}: ${plural(result.batchesMoved, 'receipt', 'receipts')} and ${plural(result.recordsMoved + result.recordsCombined, 'record', 'records')} (${result.recordsCombined.toLocaleString('en-US')} already here) now live here.`, backup: result.backup });
              setPlan(undefined);
              setOther('');
              props.onChanged?.();
            })
          }
        >
          Merge {plan.absorb.displayName} into this connection
        </button>
      )}
      {imports.length > 0 && (
        <details class="move-import" data-testid="move-import">
          <summary>Imported a file into the wrong account?</summary>
          <div class="row">
            <label class="field">
              Import
              <select data-testid="move-batch" value={importId} onChange={(event) => (setImportId((event.currentTarget as HTMLSelectElement).value), setMovePlan(undefined))}>
                <option value="">Choose an import…</option>
                {imports.map((batch) => (
                  <option key={batch.id} value={batch.id}>
                    {batch.provenance.kind === 'artifact' ? batch.provenance.fileName : batch.id}, imported {formatMoment(batch.receivedAt)}
                  </option>
                ))}
              </select>
            </label>
            <label class="field">
              Move to
              <select data-testid="move-target" value={moveTo} onChange={(event) => (setMoveTo((event.currentTarget as HTMLSelectElement).value), setMovePlan(undefined))}>
                <option value="">Choose a connection…</option>
                {siblings.map((candidate) => (
                  <option key={candidate.id} value={candidate.id}>
                    {candidate.displayName}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" class="secondary" data-testid="move-preview-button" disabled={!importId || !moveTo || busy} onClick={() => void act(async () => setMovePlan(await send('imports.move.preview', { batchId: importId, connectionId: moveTo })))}>
              Preview the move
            </button>
          </div>
          {movePlan && (
            <div data-testid="move-preview" data-refused={movePlan.refusal?.code ?? ''}>
              <ul>
                {movePlan.streams.map((entry) => (
                  <li key={entry.stream}>
                    {plural(entry.moving + entry.alsoSeenByOthers, entry.one, entry.other)} from “{movePlan.fileName}” go to {movePlan.to.displayName}
                    {entry.alsoSeenByOthers > 0 ? `; ${plural(entry.alsoSeenByOthers, entry.one, entry.other)} also seen otherwise stay here too, with what the other sources said` : ''}.
                  </li>
                ))}
              </ul>
              {movePlan.refusal ? (
                <p role="alert" class="error" data-testid="move-refusal">
                  {movePlan.refusal.message}
                </p>
              ) : (
                <button
                  type="button"
                  data-testid="move-confirm"
                  disabled={busy}
                  onClick={() =>
                    void act(async () => {
                      const result = await send('imports.move', { batchId: movePlan.batchId, connectionId: movePlan.to.connectionId });
                      setDone({ text: `Moved “${movePlan.fileName}” to ${movePlan.to.displayName}: ${plural(result.recordsMoved, 'record', 'records')} left this connection, ${plural(result.recordsStayed, 'record', 'records')} stayed (other sources saw them too).`, backup: result.backup });
                      setMovePlan(undefined);
                      setImportId('');
                      props.onChanged?.();
                    })
                  }
                >
                  Move this import
                </button>
              )}
            </div>
          )}
        </details>
      )}
      {error && (
        <p role="alert" class="error" data-testid="account-change-error">
          {error}
        </p>
      )}
      {done && <Done text={done.text} backup={done.backup} />}
    </section>
  );
}
