/** One connection: its name (rename, delete), coverage as acquisition lanes, the records browser and receipts. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { send, type ResponseOf } from '../../messages/client';
import { completenessWord, connectionCounts, formatDay, formatWindow, methodSource, PARTIAL_MEANS, plural } from '../format';
import { Timeline } from './Timeline';
import { RecordsBrowser } from './RecordsBrowser';
import { Receipts } from './Receipts';
import { MergeConnections } from './MergeConnections';
import { ProbableCounts } from './ProbablePairs';
import { localDayOf } from '../../core/local-day';

type Coverage = ResponseOf<'coverage.get'>;
type Batches = ResponseOf<'batches.list'>;
type Connection = ResponseOf<'connections.list'>[number];
type Tombstones = ResponseOf<'coverage.tombstones'>;

export function ConnectionView(props: {
  connectionId: string;
  refreshKey: number;
  connection?: Connection;
  streams?: { name: string; displayName: string }[];
  /** The search box's suggestion in the service's words. */
  searchHint?: string;
  onRenamed?(): void;
  onDeleted?(receipt: ResponseOf<'connections.delete'>): void;
  /** The connection's kept counts were wrong and were repaired: what shows them must read them again. */
  onRecounted?(): void;
}) {
  const [coverage, setCoverage] = useState<Coverage>([]);
  const [batches, setBatches] = useState<Batches>([]);
  const [tombstones, setTombstones] = useState<Tombstones>([]);

  // Once per opened connection, not on every re-read: the counts the popup and this page show are checked against the records.
  useEffect(() => {
    void send('connections.checkCounts', { connectionId: props.connectionId })
      .then((check) => {
        if (check.repaired > 0) props.onRecounted?.();
      })
      .catch(() => undefined);
  }, [props.connectionId]);

  useEffect(() => {
    void send('coverage.get', { connectionId: props.connectionId }).then(setCoverage);
    void send('batches.list', { connectionId: props.connectionId }).then(setBatches);
    void send('coverage.tombstones', { connectionId: props.connectionId })
      .then(setTombstones)
      .catch(() => setTombstones([]));
  }, [props.connectionId, props.refreshKey]);

  const streams = props.streams?.length ? props.streams : coverage.map((entry) => ({ name: entry.stream, displayName: entry.stream.replaceAll('_', ' ') }));
  const streamLabel = (name: string) => streams.find((entry) => entry.name === name)?.displayName ?? name.replaceAll('_', ' ');
  const ordered = [...coverage].sort((a, b) => streams.findIndex((s) => s.name === a.stream) - streams.findIndex((s) => s.name === b.stream));

  return (
    <div class="connection" data-testid="connection-view" data-connection-id={props.connectionId}>
      {props.connection && <ConnectionHeader connection={props.connection} batches={batches} onRenamed={props.onRenamed} onDeleted={props.onDeleted} />}

      <section class="panel" aria-labelledby="coverage-heading">
        <h2 id="coverage-heading">What is covered</h2>
        <p class="hint">Each row is one way Gleaner gets your records. Hatched stretches are times nothing covers yet.</p>
        {ordered.length === 0 && <p>Nothing covered yet.</p>}
        {ordered.map((entry, index) => (
          <Timeline
            key={entry.stream}
            legend={index === ordered.length - 1}
            stream={entry.stream}
            streamLabel={streamLabel(entry.stream)}
            today={localDayOf()}
            lanes={entry.methods.map((method) => ({
              method: method.method,
              windows: method.windows,
              tombstoned: tombstones.filter((t) => t.stream === entry.stream && t.method === method.method).reduce((sum, t) => sum + t.count, 0),
            }))}
          />
        ))}
        <details class="in-words" open>
          <summary>Coverage in words</summary>
          <table data-testid="coverage-table">
            <thead>
              <tr>
                <th scope="col">Records</th>
                <th scope="col">How</th>
                <th scope="col">Covered</th>
              </tr>
            </thead>
            <tbody>
              {ordered.flatMap((entry) =>
                entry.methods.map((method) => (
                  <tr key={`${entry.stream}-${method.method}`} data-stream={entry.stream} data-method={method.method}>
                    <td>{streamLabel(entry.stream)}</td>
                    <td>{methodSource(method.method)}</td>
                    <td>
                      {method.windows.map((window, index) => (
                        <span key={index} class={`window ${window.completeness}`} data-start={window.start} data-end={window.end} data-completeness={window.completeness}>
                          {formatWindow(window.start, window.end)} ({completenessWord(window.completeness)})
                        </span>
                      ))}
                    </td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
          {ordered.some((entry) => entry.methods.some((method) => method.windows.some((window) => window.completeness === 'partial'))) && <p class="hint">{PARTIAL_MEANS}</p>}
        </details>
      </section>

      <RecordsBrowser connectionId={props.connectionId} refreshKey={props.refreshKey} streams={streams} batches={batches} searchHint={props.searchHint} />
      <Receipts batches={batches} />
      {props.connection && <MergeConnections connection={props.connection} batches={batches} onChanged={props.onRenamed} />}
    </div>
  );
}

function ConnectionHeader(props: { connection: Connection; batches: Batches; onRenamed?(): void; onDeleted?(receipt: ResponseOf<'connections.delete'>): void }) {
  const { connection } = props;
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(connection.displayName);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const renameButtonRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    setEditing(false);
    setName(connection.displayName);
    setError(undefined);
  }, [connection.id, connection.displayName]);
  useEffect(() => {
    if (editing) inputRef.current?.select();
  }, [editing]);

  async function rename(event: Event) {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return setError('A name cannot be empty.');
    setBusy(true);
    try {
      await send('connections.rename', { connectionId: connection.id, displayName: trimmed });
      setEditing(false);
      props.onRenamed?.();
      setTimeout(() => renameButtonRef.current?.focus(), 0);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  async function erase() {
    setBusy(true);
    try {
      const receipt = await send('connections.delete', { connectionId: connection.id });
      dialogRef.current?.close();
      props.onDeleted?.(receipt);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
      dialogRef.current?.close();
    } finally {
      setBusy(false);
    }
  }

  const total = connection.visibleRecords + connection.tombstonedRecords;
  return (
    <section class="panel connection-head" aria-labelledby="connection-heading">
      {editing ? (
        <form
          class="rename"
          onSubmit={(event) => void rename(event)}
          onKeyDown={(event) => {
            // Escape closes the form, as it closes every panel.
            if (event.key === 'Escape') {
              event.preventDefault();
              setEditing(false);
            }
          }}
        >
          <label>
            <span>Name of this connection</span>
            <input ref={inputRef} type="text" value={name} maxLength={200} required data-testid="rename-input" onInput={(event) => setName((event.currentTarget as HTMLInputElement).value)} />
          </label>
          <div class="actions">
            <button type="submit" disabled={busy} data-testid="rename-save">
              Save name
            </button>
            <button type="button" class="secondary" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div class="title-row">
          <h2 id="connection-heading" data-testid="connection-name">
            {connection.displayName}
          </h2>
          <div class="actions">
            <button type="button" class="secondary small" ref={renameButtonRef} onClick={() => setEditing(true)} data-testid="rename-connection">
              Rename
            </button>
            <button type="button" class="danger-outline small" onClick={() => dialogRef.current?.showModal()} data-testid="delete-connection">
              Delete…
            </button>
          </div>
        </div>
      )}
      <p class="meta">
        {connection.accountLabel} · {connectionCounts(connection)}
        {connection.tombstonedRecords ? ` (and ${connection.tombstonedRecords} marked gone)` : ''} · {plural(connection.batchCount, 'receipt', 'receipts')} · since {formatDay(connection.createdAt)}
      </p>
      <ProbableCounts connectionId={connection.id} refreshKey={props.batches.length} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <details class="technical">
        <summary>Technical details</summary>
        <dl>
          <dt>Connection</dt>
          <dd class="mono">{connection.id}</dd>
          <dt>Account</dt>
          <dd class="mono">{connection.accountKey ?? 'named by you'}</dd>
          <dt>How the account is known</dt>
          <dd>{connection.accountEvidence}</dd>
        </dl>
      </details>
      <dialog ref={dialogRef} class="confirm" aria-labelledby="delete-title" aria-describedby="delete-body" data-testid="delete-dialog">
        <h2 id="delete-title">Delete “{connection.displayName}”?</h2>
        <div id="delete-body">
          <p>
            This erases from this browser its {plural(total, 'record', 'records')}, {plural(props.batches.length, 'receipt', 'receipts')}, any import waiting for it and its link to your server.
          </p>
          <p>Your other connections stay exactly as they are. This cannot be undone; you can import the export again later.</p>
        </div>
        <div class="actions">
          <button type="button" class="secondary" autoFocus onClick={() => dialogRef.current?.close()}>
            Keep it
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => void erase()} data-testid="confirm-delete">
            Delete connection
          </button>
        </div>
      </dialog>
    </section>
  );
}
