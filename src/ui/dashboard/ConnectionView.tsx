/** One connection: coverage per stream and method, receipts, and the records browser. */
import { useEffect, useState } from 'preact/hooks';
import { send, type ResponseOf } from '../../messages/client';
import { formatDay, formatWindow, methodLabel, summariseCounts } from '../format';
import type { StoredRecord } from '../../core/model';

type Coverage = ResponseOf<'coverage.get'>;
type Batches = ResponseOf<'batches.list'>;

export function ConnectionView(props: { connectionId: string; refreshKey: number }) {
  const [coverage, setCoverage] = useState<Coverage>([]);
  const [batches, setBatches] = useState<Batches>([]);
  const [records, setRecords] = useState<StoredRecord[]>([]);
  const [total, setTotal] = useState(0);
  const [stream, setStream] = useState('orders');
  const [showGone, setShowGone] = useState(false);
  const [selected, setSelected] = useState<StoredRecord>();

  useEffect(() => {
    void send('coverage.get', { connectionId: props.connectionId }).then(setCoverage);
    void send('batches.list', { connectionId: props.connectionId }).then(setBatches);
  }, [props.connectionId, props.refreshKey]);

  useEffect(() => {
    void send('records.list', { connectionId: props.connectionId, stream, includeTombstoned: showGone, limit: 500 }).then((result) => {
      setRecords(result.records);
      setTotal(result.total);
    });
  }, [props.connectionId, props.refreshKey, stream, showGone]);

  const batchById = new Map(batches.map((batch) => [batch.id, batch]));

  return (
    <div class="connection" data-testid="connection-view">
      <section class="panel" aria-labelledby="coverage-heading">
        <h2 id="coverage-heading">What is covered</h2>
        <table data-testid="coverage-table">
          <thead>
            <tr>
              <th scope="col">Records</th>
              <th scope="col">How</th>
              <th scope="col">Windows</th>
            </tr>
          </thead>
          <tbody>
            {coverage.flatMap((entry) =>
              entry.methods.map((method) => (
                <tr key={`${entry.stream}-${method.method}`} data-stream={entry.stream} data-method={method.method}>
                  <td>{entry.stream.replaceAll('_', ' ')}</td>
                  <td>{methodLabel(method.method)}</td>
                  <td>
                    {method.windows.map((window, index) => (
                      <span key={index} class={`window ${window.completeness}`} data-start={window.start} data-end={window.end} data-completeness={window.completeness}>
                        {formatWindow(window.start, window.end)} {window.completeness === 'full' ? '(complete)' : '(partial)'}
                      </span>
                    ))}
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      </section>

      <section class="panel" aria-labelledby="records-heading">
        <h2 id="records-heading">Records</h2>
        <div class="filters">
          <label>
            Kind{' '}
            <select value={stream} onChange={(event) => setStream((event.currentTarget as HTMLSelectElement).value)} data-testid="stream-filter">
              {['orders', 'order_items'].map((name) => (
                <option key={name} value={name}>
                  {name.replaceAll('_', ' ')}
                </option>
              ))}
            </select>
          </label>
          <label>
            <input type="checkbox" checked={showGone} onChange={(event) => setShowGone((event.currentTarget as HTMLInputElement).checked)} /> Show records marked gone
          </label>
          <span data-testid="record-total">{total} records</span>
        </div>
        <table data-testid="records-table">
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Key</th>
              <th scope="col">Seen by</th>
            </tr>
          </thead>
          <tbody>
            {records.map((record) => (
              <tr key={record.rid} data-key={record.key} data-methods={record.methods.join(' ')} class={record.tombstone ? 'gone' : ''}>
                <td>{record.eventTime ? formatDay(record.eventTime) : 'date unknown'}</td>
                <td>
                  <button type="button" class="link" onClick={() => setSelected(record)}>
                    {record.key}
                  </button>
                </td>
                <td>{record.methods.map(methodLabel).join(' + ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {selected && (
          <aside class="provenance" aria-label="Where this record came from">
            <h3>{selected.key}</h3>
            <ul>
              {selected.versions.map((version, index) => (
                <li key={index}>
                  {methodLabel(version.method)}: {version.batchIds.length} batch(es), as of {formatDay(version.asOf)}
                </li>
              ))}
            </ul>
            {selected.tombstone && <p>Marked gone: {selected.tombstone.reason}</p>}
            <details>
              <summary>Data</summary>
              <pre>{JSON.stringify(selected.data, null, 2)}</pre>
            </details>
          </aside>
        )}
      </section>

      <section class="panel" aria-labelledby="batches-heading">
        <h2 id="batches-heading">Receipts</h2>
        <ul class="receipts" data-testid="batch-list">
          {batches.map((batch) => (
            <li key={batch.id} data-method={batch.method}>
              <strong>{methodLabel(batch.method)}</strong> {batch.provenance.kind === 'artifact' ? batch.provenance.fileName : new URL(batch.provenance.pageUrl).pathname}
              {batch.eventRange ? ` · ${formatWindow(batch.eventRange.start, batch.eventRange.end)}` : ''} · {summariseCounts(batch.counts)}
              {batch.recaptureCount > 0 ? ` · seen unchanged ${batch.recaptureCount} more time(s)` : ''}
            </li>
          ))}
        </ul>
        {batchById.size === 0 && <p>No batches yet.</p>}
      </section>
    </div>
  );
}
