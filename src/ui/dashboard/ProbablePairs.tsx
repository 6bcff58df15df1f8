/**
 * Probable duplicates in the dashboard: the connection's honest count
 * ("1,674 viewings; 29 probably also in the export") and, in the records
 * browser, a paired record shown beside its partner with why. Derived on read
 * (src/background/probable-pairs.ts): never merged, never changing an export.
 */
import { useEffect, useState } from 'preact/hooks';
import { send, type ResponseOf } from '../../messages/client';
import { factsInWords, formatEventDay, methodTag, shorten } from '../format';
import { probablePairNote } from '../probable-words';

type LabelledRecord = ResponseOf<'records.query'>['records'][number];

export const PROBABLE_STYLE = `
.rb-probable { margin: 0.35rem 0 0.1rem; padding: 0.35rem 0.6rem; border-left: 3px dashed var(--accent); background: var(--accent-soft); border-radius: 4px; font-size: 0.88rem; display: grid; grid-template-columns: 1fr 1fr; gap: 0.2rem 0.8rem; }
.rb-probable .rb-probable-why { grid-column: 1 / -1; color: var(--ink-soft); }
.rb-probable .rb-probable-side { color: var(--ink); }
.rb-probable .rb-probable-side .method-tag { margin-right: 0.3rem; }
.probable-count { margin: 0.3rem 0 0; color: var(--ink-soft); }
`;

/** The connection's count per stream with a probable-duplicate rule, e.g. "1,674 viewings; 29 probably also in the export". */
export function ProbableCounts(props: { connectionId: string; refreshKey: number }) {
  const [summaries, setSummaries] = useState<ResponseOf<'records.probable'>>([]);
  useEffect(() => {
    void send('records.probable', { connectionId: props.connectionId })
      .then(setSummaries)
      .catch(() => setSummaries([]));
  }, [props.connectionId, props.refreshKey]);
  const shown = summaries.filter((summary) => summary.total > 0);
  if (shown.length === 0) return null;
  return (
    <>
      <style>{PROBABLE_STYLE}</style>
      {shown.map((summary) => (
        <p key={summary.stream} class="probable-count" data-testid="probable-count" data-stream={summary.stream} data-total={summary.total} data-pairs={summary.pairs}>
          {summary.sentence}
        </p>
      ))}
    </>
  );
}

function side(record: LabelledRecord) {
  return (
    <span class="rb-probable-side" data-rid={record.rid}>
      {record.methods.map((m) => (
        <span key={m} class={`method-tag ${m}`}>
          {methodTag(m)}
        </span>
      ))}
      {shorten(record.view.title, 80)}
      {record.view.facts.length > 0 && ` · ${factsInWords(record.view.facts)}`}
      {!record.view.facts.length && record.eventTime && ` · ${formatEventDay(record.eventTime)}`}
    </span>
  );
}

/** A paired record beside its partner, with why (under the record's row). */
export function ProbablePair(props: { record: LabelledRecord; one: string }) {
  const probable = props.record.probable;
  if (!probable) return null;
  return (
    <div class="rb-probable" data-testid="probable-pair" data-rid={props.record.rid} data-partner={probable.partner.rid}>
      <span class="rb-probable-why">{probablePairNote(probable.reason, props.one)}</span>
      {side(props.record)}
      {side(probable.partner)}
    </div>
  );
}
