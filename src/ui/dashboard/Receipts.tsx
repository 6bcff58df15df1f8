/** Recent batches as receipts: what each capture or import saw and did. */
import { useState } from 'preact/hooks';
import type { AcquisitionBatch } from '../../core/model';
import { datesInWords, formatBytes, formatMoment, formatShortWindow, methodLabel, summariseCounts } from '../format';

export function batchSource(batch: AcquisitionBatch): string {
  if (batch.provenance.kind === 'artifact') return batch.provenance.fileName;
  try {
    const url = new URL(batch.provenance.pageUrl);
    const year = /year-(\d{4})/.exec(url.search)?.[1];
    if (/order-details|summary\/edit/.test(url.pathname)) return 'An order’s detail page';
    if (/order-history|your-orders/.test(url.pathname)) return year ? `Your Orders, ${year}` : 'Your Orders';
    return url.hostname + url.pathname;
  } catch {
    return 'A page';
  }
}

/** What a batch says it covered: its first stream's claimed window (complete or partial), else the span of its records. */
export function batchCoverage(batch: AcquisitionBatch): string {
  const stream = batch.coverage[0]?.stream;
  const claims = batch.coverage.filter((claim) => claim.stream === stream);
  if (claims.length) {
    const start = claims.reduce((min, claim) => (claim.start < min ? claim.start : min), claims[0]!.start);
    const end = claims.reduce((max, claim) => (claim.end > max ? claim.end : max), claims[0]!.end);
    const complete = claims.every((claim) => claim.completeness === 'full');
    return ` · covering ${formatShortWindow(start, end)}${complete ? ', completely' : ''}`;
  }
  return batch.eventRange ? ` · records from ${formatShortWindow(batch.eventRange.start, batch.eventRange.end)}` : '';
}

export function Receipt(props: { batch: AcquisitionBatch }) {
  const { batch } = props;
  return (
    <li class={`receipt-item ${batch.method}`} data-method={batch.method} data-batch-id={batch.id}>
      <div class="receipt-head">
        <span class={`method-tag ${batch.method}`}>{methodLabel(batch.method)}</span>
        <strong>{batchSource(batch)}</strong>
        <time dateTime={batch.receivedAt}>{formatMoment(batch.receivedAt)}</time>
      </div>
      <p>
        {summariseCounts(batch.counts)}
        {batchCoverage(batch)}
        {batch.recaptureCount > 0 ? ` · seen again unchanged ${batch.recaptureCount === 1 ? 'once' : `${batch.recaptureCount} times`}` : ''}
      </p>
      {batch.warnings.length > 0 && (
        <details>
          <summary>
            {batch.warnings.length} note{batch.warnings.length === 1 ? '' : 's'}
          </summary>
          <ul>
            {batch.warnings.slice(0, 20).map((warning, index) => (
              <li key={index}>
                {datesInWords(warning.message)}
                {warning.where ? ` (${warning.where})` : ''}
              </li>
            ))}
          </ul>
        </details>
      )}
      <details class="technical">
        <summary>Technical details</summary>
        <dl>
          <dt>Batch</dt>
          <dd>{batch.id}</dd>
          {batch.provenance.kind === 'artifact' ? (
            <>
              <dt>File</dt>
              <dd>
                {batch.provenance.fileName} ({formatBytes(batch.provenance.sizeBytes)}), parser {batch.provenance.parserVersion}
              </dd>
              <dt>sha256</dt>
              <dd class="mono">{batch.provenance.sha256}</dd>
            </>
          ) : (
            <>
              <dt>Page</dt>
              <dd class="mono">{batch.provenance.pageUrl}</dd>
              <dt>Extractor</dt>
              <dd>{batch.provenance.extractorVersion}</dd>
            </>
          )}
          <dt>Claims</dt>
          <dd>
            {batch.coverage.map((claim) => `${claim.stream} ${claim.start.slice(0, 10)}…${claim.end.slice(0, 10)} ${claim.completeness}`).join('; ') || 'none'}
          </dd>
        </dl>
      </details>
    </li>
  );
}

export function Receipts(props: { batches: AcquisitionBatch[] }) {
  const [all, setAll] = useState(false);
  const shown = all ? props.batches : props.batches.slice(0, 6);
  return (
    <section class="panel" aria-labelledby="batches-heading">
      <h2 id="batches-heading">Receipts</h2>
      <p class="hint">Every capture and import, newest first, with what it found.</p>
      {props.batches.length === 0 && <p>No receipts yet.</p>}
      <ul class="receipts" data-testid="batch-list">
        {shown.map((batch) => (
          <Receipt key={batch.id} batch={batch} />
        ))}
      </ul>
      {props.batches.length > shown.length && (
        <button type="button" class="secondary" onClick={() => setAll(true)}>
          Show all {props.batches.length} receipts
        </button>
      )}
    </section>
  );
}
