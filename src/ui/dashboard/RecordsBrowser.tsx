/** Records with search and filters (kind, how it was acquired, time range), and where each one came from. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { send, type ResponseOf } from '../../messages/client';
import type { AcquisitionBatch } from '../../core/model';
import { formatDay, formatMoment, methodLabel } from '../format';
import type { MethodFilter } from '../records-filter';
import { batchSource } from './Receipts';

type Query = ResponseOf<'records.query'>;
type LabelledRecord = Query['records'][number];

const PAGE = 50;

export function RecordsBrowser(props: { connectionId: string; refreshKey: number; streams: { name: string; displayName: string }[]; batches: AcquisitionBatch[] }) {
  const [stream, setStream] = useState(props.streams[0]?.name ?? '');
  const [method, setMethod] = useState<MethodFilter>('any');
  const [text, setText] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [showGone, setShowGone] = useState(false);
  const [limit, setLimit] = useState(PAGE);
  const [result, setResult] = useState<Query>({ total: 0, records: [] });
  const [selected, setSelected] = useState<LabelledRecord>();
  const [error, setError] = useState<string>();
  const panelRef = useRef<HTMLElement>(null);
  /** The row button that opened the provenance panel, to return focus to on close. */
  const openerRef = useRef<HTMLButtonElement | null>(null);

  useEffect(() => {
    if (!stream && props.streams[0]) setStream(props.streams[0].name);
  }, [props.streams]);

  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      send('records.query', {
        connectionId: props.connectionId,
        stream: stream || undefined,
        method,
        text: text.trim() || undefined,
        from: from || undefined,
        to: to || undefined,
        includeTombstoned: showGone,
        limit,
      })
        .then((next) => {
          if (!live) return;
          setResult(next);
          setError(undefined);
        })
        .catch((caught: Error) => live && setError(caught.message));
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [props.connectionId, props.refreshKey, stream, method, text, from, to, showGone, limit]);

  useEffect(() => setSelected(undefined), [props.connectionId]);
  useEffect(() => {
    if (selected) panelRef.current?.focus();
  }, [selected?.rid]);

  const reset = () => {
    setMethod('any');
    setText('');
    setFrom('');
    setTo('');
    setShowGone(false);
    setLimit(PAGE);
  };

  return (
    <section class="panel" aria-labelledby="records-heading">
      <h2 id="records-heading">Records</h2>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label class="grow">
          <span>Search</span>
          <input type="search" value={text} placeholder="Order number, item name…" data-testid="record-search" onInput={(event) => setText((event.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          <span>Kind</span>
          <select value={stream} onChange={(event) => setStream((event.currentTarget as HTMLSelectElement).value)} data-testid="stream-filter">
            {props.streams.map((entry) => (
              <option key={entry.name} value={entry.name}>
                {entry.displayName}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Kept by</span>
          <select value={method} onChange={(event) => setMethod((event.currentTarget as HTMLSelectElement).value as MethodFilter)} data-testid="method-filter">
            <option value="any">Any way</option>
            <option value="owner_artifact">Your export</option>
            <option value="browser_polyfill">Pages you visited</option>
            <option value="both">Both</option>
          </select>
        </label>
        <label class="date">
          <span>From</span>
          <input type="date" value={from} onInput={(event) => setFrom((event.currentTarget as HTMLInputElement).value)} data-testid="from-filter" />
        </label>
        <label class="date">
          <span>To</span>
          <input type="date" value={to} onInput={(event) => setTo((event.currentTarget as HTMLInputElement).value)} data-testid="to-filter" />
        </label>
        <label class="check">
          <input type="checkbox" checked={showGone} onChange={(event) => setShowGone((event.currentTarget as HTMLInputElement).checked)} /> Include records marked gone
        </label>
        <button type="button" class="secondary small" onClick={reset}>
          Clear filters
        </button>
      </form>
      <p class="count" role="status" data-testid="record-total">
        {result.total} records
      </p>
      {error && <p class="error">{error}</p>}
      <div class={`records-layout ${selected ? 'with-panel' : ''}`}>
        <div class="table-wrap">
          <table class="records-table" data-testid="records-table">
            <caption class="visually-hidden">Records matching the filters, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Record</th>
                <th scope="col">Kept by</th>
              </tr>
            </thead>
            <tbody>
              {result.records.map((record) => (
                <tr key={record.rid} data-key={record.key} data-methods={record.methods.join(' ')} class={`${record.tombstone ? 'gone' : ''} ${selected?.rid === record.rid ? 'selected' : ''}`}>
                  <td class="nowrap">{record.eventTime ? formatDay(record.eventTime) : 'date unknown'}</td>
                  <td>
                    <button
                      type="button"
                      class="link"
                      aria-expanded={selected?.rid === record.rid}
                      onClick={(event) => {
                        openerRef.current = event.currentTarget as HTMLButtonElement;
                        setSelected(selected?.rid === record.rid ? undefined : record);
                      }}
                    >
                      {record.summary}
                    </button>
                    {record.tombstone && <span class="badge">marked gone</span>}
                  </td>
                  <td>
                    {record.methods.map((m) => (
                      <span key={m} class={`method-tag ${m}`}>
                        {m === 'owner_artifact' ? 'Export' : m === 'browser_polyfill' ? 'Visit' : methodLabel(m)}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.total > result.records.length && (
            <button type="button" class="secondary" onClick={() => setLimit((current) => current + PAGE)}>
              Show {Math.min(PAGE, result.total - result.records.length)} more
            </button>
          )}
        </div>
        {selected && (
          <aside class="provenance" aria-labelledby="provenance-heading" tabIndex={-1} ref={panelRef} data-testid="provenance-panel">
            <div class="provenance-head">
              <h3 id="provenance-heading">{selected.summary}</h3>
              <button
                type="button"
                class="secondary small"
                onClick={() => {
                  setSelected(undefined);
                  openerRef.current?.focus();
                }}
              >
                Close
              </button>
            </div>
            <Provenance record={selected} batches={props.batches} />
          </aside>
        )}
      </div>
    </section>
  );
}

function valueText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Which batches saw the record and what each said; fields where a source differs from the kept value are marked. */
export function Provenance(props: { record: LabelledRecord; batches: AcquisitionBatch[] }) {
  const byId = new Map(props.batches.map((batch) => [batch.id, batch]));
  const { record } = props;
  const fields = Object.keys(record.data);
  return (
    <div>
      <p>
        Kept {record.methods.length > 1 ? 'from your export and from pages you visited' : record.methods[0] === 'owner_artifact' ? 'from your export' : 'from pages you visited'}; seen by {record.batchIds.length} {record.batchIds.length === 1 ? 'receipt' : 'receipts'}.
      </p>
      {record.tombstone && <p class="notice">Marked gone {formatMoment(record.tombstone.at)}: {record.tombstone.reason}</p>}
      <h4>What each source said</h4>
      <ol class="versions" data-testid="provenance-versions">
        {record.versions.map((version, index) => (
          <li key={index} data-method={version.method}>
            <p class="version-head">
              <span class={`method-tag ${version.method}`}>{methodLabel(version.method)}</span>{' '}
              {version.batchIds.map((id) => {
                const batch = byId.get(id);
                return (
                  <span key={id} class="seen-by" data-batch-id={id}>
                    {batch ? `${batchSource(batch)}, ${formatMoment(batch.receivedAt)}` : 'an earlier receipt'}
                  </span>
                );
              })}
            </p>
            <dl class="fields">
              {Object.entries(version.data)
                .filter(([, value]) => value !== null && value !== undefined && value !== '')
                .map(([field, value]) => {
                  const differs = valueText(value) !== valueText(record.data[field]);
                  return (
                    <div key={field} class={differs ? 'differs' : ''}>
                      <dt>{field.replaceAll('_', ' ')}</dt>
                      <dd>
                        {valueText(value)}
                        {differs ? <span class="note"> (kept: {valueText(record.data[field])})</span> : null}
                      </dd>
                    </div>
                  );
                })}
            </dl>
          </li>
        ))}
      </ol>
      <details class="technical">
        <summary>Technical details</summary>
        <dl>
          <dt>Key</dt>
          <dd class="mono">{record.key}</dd>
          <dt>rid</dt>
          <dd class="mono">{record.rid}</dd>
          <dt>Fields kept</dt>
          <dd>{fields.join(', ')}</dd>
          <dt>Batches</dt>
          <dd class="mono">{record.batchIds.join(', ')}</dd>
        </dl>
        <pre>{JSON.stringify(record.data, null, 2)}</pre>
      </details>
    </div>
  );
}
