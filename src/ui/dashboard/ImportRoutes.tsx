/**
 * An upload that holds several accounts (a Netflix account export holds every
 * profile): the preview says where each account's records go, and the receipt
 * shows one receipt per connection, together as one import (src/import/routes.ts).
 */
import type { ImportRoute } from '../../import/routes';
import type { AcquisitionBatch } from '../../core/model';
import { formatWindow, summariseCounts } from '../format';

function plural(count: number, one: string, other = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : other}`;
}

export function RoutesPreview({ routes, connectorName }: { routes: ImportRoute[]; connectorName: string }) {
  return (
    <div class="routes" data-testid="import-routes">
      <p>
        This file holds {routes.length} {connectorName} profiles. Each one’s records go to its own connection; confirming creates the ones you do not have yet.
      </p>
      <ul>
        {routes.map((route) => (
          <li key={route.accountHint.key} data-testid="import-route" data-account={route.accountHint.label} data-new={route.connectionId ? 'false' : 'true'}>
            <strong>{route.accountHint.label}</strong>: {plural(route.records, 'record')}
            {route.eventRange ? `, ${formatWindow(route.eventRange.start, route.eventRange.end)}` : ''}
            {route.skipped > 0 ? `, ${plural(route.skipped, 'row')} skipped` : ''} →{' '}
            {route.connectionName ? `into ${route.connectionName}` : `a new connection “${connectorName} — ${route.accountHint.label}”`}
          </li>
        ))}
      </ul>
    </div>
  );
}

export interface RouteReceiptView {
  connectionId: string;
  connectionName: string;
  accountLabel: string;
  status: 'pending' | 'committed' | 'already_imported';
  receipt?: AcquisitionBatch;
}

export function RoutesReceipt({ receipts }: { receipts: RouteReceiptView[] }) {
  return (
    <ul class="route-receipts" data-testid="route-receipts">
      {receipts.map((route) => (
        <li key={route.connectionId} data-testid="route-receipt" data-connection-id={route.connectionId} data-batch-id={route.receipt?.id ?? ''} data-status={route.status}>
          <strong>{route.connectionName}</strong>:{' '}
          {route.status === 'already_imported' ? 'already imported before; nothing changed' : route.status === 'pending' ? 'not stored yet' : route.receipt ? `${summariseCounts(route.receipt.counts)}` : ''}
          {route.receipt?.eventRange && route.status === 'committed' ? `; covers ${formatWindow(route.receipt.eventRange.start, route.receipt.eventRange.end)}` : ''}.
        </li>
      ))}
    </ul>
  );
}
