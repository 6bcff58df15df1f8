/**
 * Schema v6: stored Amazon records take the PDPP reference manifest's field
 * names (src/connectors/amazon/streams.ts). Pure: one stored record in, the
 * record as today's merge engine would have stored it out.
 *
 * Versions are rewritten field by field and the merged `data` is merged again
 * from them, so a later batch compares against exactly what it would have
 * produced (an unchanged page stays "already known"). Record identity never
 * moves: an item's `key` and `rid` already were `<order>|<item key>`; only
 * `keyParts` becomes that one `id`.
 */
import { orderTimes } from '../../connectors/amazon/order-time';
import { mergeVersions } from '../../core/field-merge';
import { EventTime, type RecordVersion, type StoredRecord } from '../../core/model';

export const AMAZON_CONNECTOR_KEY = 'amazon';
export const AMAZON_STREAMS: readonly string[] = ['orders', 'order_items'];

/** Old `orders` field → reference name. */
export const ORDER_FIELD_RENAMES: Readonly<Record<string, string>> = {
  total: 'order_total',
  total_cents: 'order_total_cents',
  status: 'delivery_status',
  recipient: 'recipient_name',
  payment_summary: 'payment_method_summary',
};

/** What the merge engine applies to both streams (the event-time field's default policy; no stream declares others). */
const POLICIES = { order_date: 'most_precise' } as const;

/**
 * One observation's data in today's shape. An instant `order_date` becomes its
 * local day plus `ordered_at`, as the export parser now stores it; a date no
 * longer readable as a day is dropped, as the parser would not keep it.
 */
export function upgradeAmazonData(stream: string, data: Record<string, unknown>, key: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(data)) {
    const renamed = stream === 'orders' ? ORDER_FIELD_RENAMES[field] : undefined;
    // A name already in today's shape wins over its old twin (a rewrite run twice changes nothing).
    if (renamed) {
      if (!(renamed in data)) out[renamed] = value;
    } else {
      out[field] = value;
    }
  }
  const date = out.order_date;
  if (typeof date === 'string') {
    const times = orderTimes(date);
    if (!times) delete out.order_date;
    else {
      out.order_date = times.day;
      if (times.instant && out.ordered_at === undefined) out.ordered_at = times.instant;
    }
  }
  if (stream === 'order_items') out.id = key;
  return out;
}

/** The record in today's shape; `undefined` when it is not an Amazon stream's record. */
export function upgradeAmazonRecord(record: StoredRecord): StoredRecord | undefined {
  if (!AMAZON_STREAMS.includes(record.stream)) return undefined;
  const versions: RecordVersion[] = record.versions.map((version) => ({ ...version, data: upgradeAmazonData(record.stream, version.data, record.key) }));
  const data = versions.length > 0 ? mergeVersions(versions, POLICIES) : upgradeAmazonData(record.stream, record.data, record.key);
  const day = data.order_date;
  return {
    ...record,
    keyParts: record.stream === 'order_items' ? [record.key] : record.keyParts,
    eventTime: typeof day === 'string' && EventTime.safeParse(day).success ? day : '',
    data,
    versions,
  };
}
