/**
 * Records in the service's nouns (an order with its items), searched across
 * every kind of the connection at once, with filters (kind, how it was kept,
 * time range) and where each one came from.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { send, type ResponseOf } from '../../messages/client';
import type { AcquisitionBatch } from '../../core/model';
import { capitalise, countsInNouns, datesInWords, factsInWords, formatEventDay, formatFieldValue, formatMoment, joinWithOr, methodLabel, methodSource, methodTag, plural, fieldDifference, shorten } from '../format';
import { searchWords, type MethodFilter } from '../records-filter';
import { batchSource } from './Receipts';
import { PROBABLE_STYLE, ProbablePair } from './ProbablePairs';

type Query = ResponseOf<'records.query'>;
type LabelledRecord = Query['records'][number];
type StreamWords = Query['streams'][string];

const PAGE = 50;
/** Parts listed in a row before "and 3 more items" (parts that match a search are always listed). */
const PARTS_SHOWN = 5;
const EMPTY: Query = { total: 0, counts: [], streams: {}, records: [] };

/** A record's identity on the page (rids are unique per stream only). */
const idOf = (record: Pick<LabelledRecord, 'stream' | 'rid'>) => `${record.stream}\u0000${record.rid}`;

/** Component styles (kept here with the markup they belong to; the shared sheet is `src/ui/styles.css`). */
const STYLE = `
.records-table .rb-facts { color: var(--ink-soft); }
.records-table .rb-part-of { color: var(--muted); font-size: 0.85rem; margin-top: 0.1rem; }
.rb-parts { list-style: none; margin: 0.3rem 0 0.1rem; padding: 0 0 0 0.7rem; border-left: 2px solid var(--line); font-size: 0.88rem; color: var(--ink-soft); }
.rb-parts li { margin: 0.12rem 0; }
/* A part's name and facts flow as one line of text (a button is laid out as one box). */
.rb-parts button.rb-part { display: block; background: none; border: none; border-radius: 4px; padding: 0; color: var(--ink-soft); font-weight: 500; text-align: left; line-height: inherit; }
.rb-parts button.rb-part:hover { filter: none; }
.rb-parts button.rb-part:hover .rb-part-name { color: var(--accent); text-decoration: underline; text-underline-offset: 2px; }
.rb-parts .rb-part-facts { font-weight: 400; color: var(--ink-soft); }
.rb-parts li.rb-match .rb-part-name { color: var(--ink); font-weight: 650; }
.rb-parts li.selected { background: var(--accent-soft); border-radius: 4px; }
.rb-parts .rb-more { color: var(--muted); }
.records-table .rb-date-inline { display: none; color: var(--muted); font-size: 0.85rem; }
.count.rb-empty { color: var(--ink); font-size: 1rem; font-weight: 560; margin: 0.9rem 0 0.2rem; }
.rb-empty-actions { margin: 0.2rem 0 0.8rem; }
.provenance .rb-facts { color: var(--ink-soft); margin-top: 0; }
.provenance .rb-parts { margin-bottom: 0.6rem; }
@media (max-width: 520px) { .records-table .rb-date-inline { display: block; } }
`;

export function RecordsBrowser(props: { connectionId: string; refreshKey: number; streams: { name: string; displayName: string }[]; batches: AcquisitionBatch[]; searchHint?: string }) {
  /** '' is every kind at once. */
  const [stream, setStream] = useState('');
  const [method, setMethod] = useState<MethodFilter>('any');
  const [text, setText] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [showGone, setShowGone] = useState(false);
  const [limit, setLimit] = useState(PAGE);
  const [result, setResult] = useState<Query>(EMPTY);
  /** The query text the result answers, so the empty state names what was searched. */
  const [answered, setAnswered] = useState<string>();
  const [selectedId, setSelectedId] = useState<string>();
  const [error, setError] = useState<string>();
  const panelRef = useRef<HTMLElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  /** The button that opened the provenance panel, to return focus to on close. */
  const openerRef = useRef<HTMLButtonElement | null>(null);

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
          setAnswered(text.trim());
          setError(undefined);
        })
        .catch((caught: Error) => live && setError(caught.message));
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [props.connectionId, props.refreshKey, stream, method, text, from, to, showGone, limit]);

  useEffect(() => {
    setResult(EMPTY);
    setAnswered(undefined);
  }, [props.connectionId]);

  // A different list closes the provenance panel: another connection or any filter (not "Show more").
  useEffect(() => setSelectedId(undefined), [props.connectionId, stream, method, text, from, to, showGone]);

  const byId = new Map<string, LabelledRecord>();
  for (const record of result.records) {
    byId.set(idOf(record), record);
    for (const part of record.parts ?? []) if (!byId.has(idOf(part))) byId.set(idOf(part), part);
  }
  const selected = selectedId ? byId.get(selectedId) : undefined;
  // A refresh that no longer lists the open record closes its panel.
  useEffect(() => {
    if (selectedId && answered !== undefined && !selected) setSelectedId(undefined);
  }, [result]);

  useEffect(() => {
    if (selected) panelRef.current?.focus();
  }, [selectedId]);

  const close = (returnFocus: boolean) => {
    setSelectedId(undefined);
    if (!returnFocus) return;
    const opener = openerRef.current;
    (opener?.isConnected ? opener : searchRef.current)?.focus();
  };

  useEffect(() => {
    if (!selectedId) return;
    const onKey = (event: KeyboardEvent) => {
      // An open dialog (delete) takes its own Escape first.
      if (event.key !== 'Escape' || event.defaultPrevented || document.querySelector('dialog[open]')) return;
      close(true);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [selectedId]);

  const open = (record: LabelledRecord, event: JSX.TargetedMouseEvent<HTMLButtonElement>) => {
    openerRef.current = event.currentTarget;
    setSelectedId(selectedId === idOf(record) ? undefined : idOf(record));
  };

  const reset = () => {
    setStream('');
    setMethod('any');
    setText('');
    setFrom('');
    setTo('');
    setShowGone(false);
    setLimit(PAGE);
  };

  const words = (name: string): StreamWords => result.streams[name] ?? { displayName: name, one: 'record', other: 'records', fieldLabels: {} };
  const searched = result.counts.length ? result.counts.map((count) => count.stream) : stream ? [stream] : Object.keys(result.streams);
  const kinds = joinWithOr([...new Set(searched.map((name) => words(name).other))]) || 'records';
  const otherFilters = method !== 'any' || !!from || !!to;
  const loaded = answered !== undefined;
  const empty = loaded && result.total === 0;
  let line = '';
  if (empty) {
    if (answered) line = `No ${kinds} match “${answered}”${otherFilters ? ' with these filters' : ''}.`;
    else if (otherFilters) line = `No ${kinds} match these filters.`;
    else line = `No ${kinds} kept here yet.`;
  } else if (loaded) {
    line = countsInNouns(result.counts.map((count) => ({ total: count.total, one: words(count.stream).one, other: words(count.stream).other })));
    if (showGone) line += ', records marked gone included';
  }

  // A part listed in its record's row (an item under its order) is not repeated as a row of its own.
  const onPage = new Set(result.records.map(idOf));
  const folded = new Set(result.records.flatMap((record) => (record.parts ?? []).map(idOf)).filter((id) => onPage.has(id)));
  const rows = result.records.filter((record) => !folded.has(idOf(record)));
  const searching = searchWords(answered).length > 0;

  return (
    <section class="panel" aria-labelledby="records-heading">
      <style>{STYLE + PROBABLE_STYLE}</style>
      <h2 id="records-heading">Records</h2>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label class="grow">
          <span>Search</span>
          <input ref={searchRef} type="search" value={text} placeholder={props.searchHint ?? 'Words in a record…'} data-testid="record-search" onInput={(event) => setText((event.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          <span>Kind</span>
          <select value={stream} onChange={(event) => setStream((event.currentTarget as HTMLSelectElement).value)} data-testid="stream-filter">
            <option value="">All</option>
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
            <option value="owner_artifact">{methodSource('owner_artifact')}</option>
            <option value="browser_polyfill">{methodSource('browser_polyfill')}</option>
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
      <p class={`count ${empty ? 'rb-empty' : ''}`} role="status" data-testid="record-total" data-total={loaded ? result.total : undefined}>
        {line}
      </p>
      {empty && (answered || otherFilters) && (
        <div class="actions rb-empty-actions" data-testid="records-empty">
          {answered && (
            <button
              type="button"
              class="secondary small"
              data-testid="clear-search"
              onClick={() => {
                setText('');
                searchRef.current?.focus();
              }}
            >
              Clear search
            </button>
          )}
          {otherFilters && (
            <button type="button" class="secondary small" onClick={reset}>
              {answered ? 'Clear search and filters' : 'Clear filters'}
            </button>
          )}
        </div>
      )}
      {error && <p class="error">{error}</p>}
      {!empty && (
        <div class={`records-layout ${selected ? 'with-panel' : ''}`}>
          <div class="table-wrap">
            <table class="records-table" data-testid="records-table">
              <caption class="visually-hidden">Records matching the filters, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">What</th>
                  <th scope="col">Kept by</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((record) => {
                  const date = record.eventTime ? formatEventDay(record.eventTime) : 'Date unknown';
                  const parts = record.parts ?? [];
                  const shown = parts.filter((part, index) => index < PARTS_SHOWN || (searching && onPage.has(idOf(part))));
                  const partNouns = parts[0] ? words(parts[0].stream) : undefined;
                  return (
                    <tr key={idOf(record)} data-key={record.key} data-stream={record.stream} data-methods={record.methods.join(' ')} class={`${record.tombstone ? 'gone' : ''} ${selectedId === idOf(record) ? 'selected' : ''}`}>
                      <td class="nowrap">{date}</td>
                      <td>
                        <span class="rb-date-inline">{date}</span>
                        <button type="button" class="link" aria-expanded={selectedId === idOf(record)} onClick={(event) => open(record, event)} title={record.view.title.length > 120 ? record.view.title : undefined}>
                          {shorten(record.view.title, 120)}
                        </button>
                        {record.view.facts.length > 0 && <span class="rb-facts"> · {factsInWords(record.view.facts)}</span>}
                        {record.tombstone && <span class="badge">marked gone</span>}
                        {record.view.partOf && <div class="rb-part-of">{record.view.partOf}</div>}
                        <ProbablePair record={record} one={words(record.stream).one} />
                        {parts.length > 0 && (
                          <ul class="rb-parts" aria-label={`${capitalise(partNouns!.other)} in this ${words(record.stream).one}`} data-testid="record-parts">
                            {shown.map((part) => (
                              <li key={idOf(part)} data-key={part.key} data-stream={part.stream} class={`${searching && onPage.has(idOf(part)) ? 'rb-match' : ''} ${selectedId === idOf(part) ? 'selected' : ''}`}>
                                <button type="button" class="rb-part" aria-expanded={selectedId === idOf(part)} onClick={(event) => open(part, event)} title={part.view.title.length > 90 ? part.view.title : undefined}>
                                  <span class="rb-part-name">{shorten(part.view.title, 90)}</span>
                                  {part.view.facts.length > 0 && <span class="rb-part-facts"> · {factsInWords(part.view.facts)}</span>}
                                </button>
                                {part.tombstone && <span class="badge">marked gone</span>}
                              </li>
                            ))}
                            {parts.length > shown.length && <li class="rb-more">and {plural(parts.length - shown.length, `more ${partNouns!.one}`, `more ${partNouns!.other}`)}</li>}
                          </ul>
                        )}
                      </td>
                      <td>
                        {record.methods.map((m) => (
                          <span key={m} class={`method-tag ${m}`}>
                            {methodTag(m)}
                          </span>
                        ))}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {result.total > result.records.length && (
              <button type="button" class="secondary" onClick={() => setLimit((current) => current + PAGE)}>
                Show more
              </button>
            )}
          </div>
          {selected && (
            <aside class="provenance" aria-labelledby="provenance-heading" tabIndex={-1} ref={panelRef} data-testid="provenance-panel" data-key={selected.key}>
              <div class="provenance-head">
                <h3 id="provenance-heading">{selected.view.title}</h3>
                <button type="button" class="secondary small" onClick={() => close(true)}>
                  Close
                </button>
              </div>
              <p class="rb-facts">{panelFacts(selected, words(selected.stream).one)}</p>
              {selected.view.partOf && <p class="muted">{selected.view.partOf}</p>}
              {(selected.parts?.length ?? 0) > 0 && (
                <>
                  <h4>
                    {capitalise(words(selected.parts![0]!.stream).other)} in this {words(selected.stream).one}
                  </h4>
                  <ul class="rb-parts">
                    {selected.parts!.map((part) => (
                      <li key={idOf(part)} data-key={part.key}>
                        <button type="button" class="rb-part" onClick={(event) => open(part, event)}>
                          <span class="rb-part-name">{shorten(part.view.title, 90)}</span>
                          {part.view.facts.length > 0 && <span class="rb-part-facts"> · {factsInWords(part.view.facts)}</span>}
                        </button>
                      </li>
                    ))}
                  </ul>
                </>
              )}
              <Provenance record={selected} batches={props.batches} labels={words(selected.stream).fieldLabels} />
            </aside>
          )}
        </div>
      )}
    </section>
  );
}

/** "Item · Feb 3, 2019 · 1 × $49.99" under the panel's title; the kind is left out when the title already says it ("Order 112-…"). */
function panelFacts(record: LabelledRecord, noun: string): string {
  const kind = record.view.title.toLowerCase().startsWith(noun.toLowerCase()) ? [] : [capitalise(noun)];
  return [...kind, record.eventTime ? formatEventDay(record.eventTime) : 'Date unknown', ...record.view.facts.map(datesInWords)].join(' · ');
}

/**
 * Which batches saw the record and what each said, in the connector's field
 * labels; fields where a source differs from the kept value are marked. Raw
 * field names and identities are under "Technical details".
 */
export function Provenance(props: { record: LabelledRecord; batches: AcquisitionBatch[]; labels?: Record<string, string> }) {
  const byId = new Map(props.batches.map((batch) => [batch.id, batch]));
  const { record } = props;
  const labels = props.labels ?? {};
  const labelled = Object.keys(labels);
  // A connector without labels: every field, its name in words.
  const shownFields = (data: Record<string, unknown>) => (labelled.length ? labelled.filter((field) => field in data) : Object.keys(data)).filter((field) => data[field] !== null && data[field] !== undefined && data[field] !== '');
  const labelOf = (field: string) => labels[field] ?? capitalise(field.replaceAll('_', ' '));
  const unlabelled = labelled.length ? Object.keys(record.data).filter((field) => !(field in labels)) : [];
  return (
    <div>
      <p>
        Kept {record.methods.length > 1 ? 'from your export and from pages you visited' : record.methods[0] === 'owner_artifact' ? 'from your export' : 'from pages you visited'}; seen by {plural(record.batchIds.length, 'receipt', 'receipts')}.
      </p>
      {record.tombstone && <p class="notice">Marked gone {formatMoment(record.tombstone.at)}: {datesInWords(record.tombstone.reason)}</p>}
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
              {shownFields(version.data).map((field) => {
                const said = formatFieldValue(version.data[field]);
                const kept = formatFieldValue(record.data[field]);
                const difference = fieldDifference(version.data[field], record.data[field]);
                return (
                  <div key={field} class={difference === 'differs' ? 'differs' : ''} data-field={field} data-difference={difference}>
                    <dt>{labelOf(field)}</dt>
                    <dd>
                      {said}
                      {difference === 'differs' ? <span class="note"> (kept: {kept})</span> : null}
                      {difference === 'time_zone' ? <span class="note"> (kept: {kept}; the same moment, dated in another time zone)</span> : null}
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
          <dt>Stream</dt>
          <dd class="mono">{record.stream}</dd>
          <dt>Fields kept</dt>
          <dd>{Object.keys(record.data).join(', ')}</dd>
          {unlabelled.length > 0 && (
            <>
              <dt>Not shown above</dt>
              <dd>{unlabelled.join(', ')}</dd>
            </>
          )}
          <dt>Batches</dt>
          <dd class="mono">{record.batchIds.join(', ')}</dd>
        </dl>
        <pre>{JSON.stringify(record.data, null, 2)}</pre>
      </details>
    </div>
  );
}
