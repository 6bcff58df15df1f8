/** The full-page dashboard: sources, import, each connection's coverage, records and receipts, and storage health. */
import { useEffect, useState } from 'preact/hooks';
import { send, type ResponseOf } from '../../messages/client';
import { watchChanges } from '../../messages/changes';
import { connectionCounts, plural } from '../format';
import { ImportPanel } from './ImportPanel';
import { ConnectionView } from './ConnectionView';
import { localDayOf } from '../../core/local-day';
import { Sources } from './Sources';
import { StorageHealth } from './StorageHealth';
import { ServerPanel } from '../../export/ui/ServerPanel';
import { BackupPanel } from '../../export/ui/BackupPanel';

type Connections = ResponseOf<'connections.list'>;
type Connectors = ResponseOf<'connectors.list'>;
type SourcesOverview = ResponseOf<'sources.overview'>;
type DeleteReceipt = ResponseOf<'connections.delete'>;

function focusImport() {
  const section = document.getElementById('import');
  section?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  section?.querySelector<HTMLInputElement>('input[type="file"]')?.focus();
}

export function Dashboard() {
  const [connectors, setConnectors] = useState<Connectors>([]);
  const [sources, setSources] = useState<SourcesOverview>([]);
  const [connections, setConnections] = useState<Connections>([]);
  // `dashboard.html#connection=<id>` (from the popup) opens on that connection.
  const [selected, setSelected] = useState<string | undefined>(() => {
    const id = /^#connection=(.+)$/.exec(location.hash)?.[1];
    return id ? decodeURIComponent(id) : undefined;
  });
  const [refreshKey, setRefreshKey] = useState(0);
  const [deleted, setDeleted] = useState<DeleteReceipt>();
  const [alarm, setAlarm] = useState(false);
  const refresh = () => setRefreshKey((key) => key + 1);

  useEffect(() => {
    void send('connectors.list', {}).then(setConnectors);
    // Ask the browser to exempt Gleaner's data from clean-ups (the manifest also requests unlimitedStorage).
    void navigator.storage?.persist?.().catch(() => false);
    if (location.hash === '#import') setTimeout(focusImport, 300);
    // Live: a capture, import, restore, rename, delete or merge landing anywhere re-reads every panel (no polling).
    const watch = watchChanges(refresh);
    return () => watch.stop();
  }, []);
  useEffect(() => {
    void send('sources.overview', {})
      .then(setSources)
      .catch(() => undefined);
    void send('connections.list', {}).then((list) => {
      setConnections(list);
      setSelected((current) => (current && list.some((connection) => connection.id === current) ? current : list[0]?.id));
    });
  }, [refreshKey]);

  const current = connections.find((connection) => connection.id === selected);
  const streamsOf = (connectorKey?: string) => connectors.find((connector) => connector.key === connectorKey)?.streams ?? [];

  return (
    <div class="page">
      <a class="skip" href="#connections-heading">
        Skip to your connections
      </a>
      <header class="masthead">
        <div class="masthead-inner">
          <p class="brand">
            <img class="brand-mark" src="/icon/32.png" alt="" width={18} height={18} />
            Gleaner
          </p>
          <h1>Your records, kept in this browser</h1>
          <p class="lede">From the pages you visit and the exports you download. Nothing leaves this browser unless you link your own server.</p>
        </div>
      </header>
      <main class="dashboard">
        {alarm && (
          <p class="alarm alarm-banner" role="alert">
            <strong>Some of Gleaner’s data may have been deleted by the browser.</strong>{' '}
            <a href="#storage-heading">See storage health</a>
          </p>
        )}
        <Sources sources={sources} today={localDayOf()} onImport={focusImport} />
        <div id="import">
          <ImportPanel
            onImported={(connectionId) => {
              setSelected(connectionId);
              refresh();
            }}
          />
        </div>
        <section class="panel" aria-labelledby="connections-heading">
          <h2 id="connections-heading" tabIndex={-1}>Connections</h2>
          {deleted && (
            <p class="success" role="status" data-testid="delete-notice">
              Deleted “{deleted.displayName}”: {plural(deleted.erased.records, 'record', 'records')} and {plural(deleted.erased.batches, 'receipt', 'receipts')} erased. Nothing else was touched.
            </p>
          )}
          {connections.length === 0 && <p>No connections yet. Visit a supported site while signed in, or import an export.</p>}
          <ul class="connection-list" data-testid="connection-list">
            {connections.map((connection) => (
              <li key={connection.id} data-connection-id={connection.id} class={selected === connection.id ? 'active' : ''}>
                <button type="button" aria-pressed={selected === connection.id} onClick={() => setSelected(connection.id)}>
                  {connection.displayName}
                </button>
                <span class="muted">
                  {connectionCounts(connection)} · {plural(connection.batchCount, 'receipt', 'receipts')}
                </span>
              </li>
            ))}
          </ul>
          <button type="button" class="secondary small" onClick={refresh}>
            Refresh
          </button>
        </section>
        {selected && (
          <ConnectionView
            connectionId={selected}
            refreshKey={refreshKey}
            connection={current}
            streams={streamsOf(current?.connectorKey)}
            searchHint={connectors.find((connector) => connector.key === current?.connectorKey)?.searchHint}
            onRenamed={refresh}
            onRecounted={refresh}
            onDeleted={(receipt) => {
              setDeleted(receipt);
              setSelected(undefined);
              refresh();
              setTimeout(() => document.getElementById('connections-heading')?.focus(), 0);
            }}
          />
        )}
        <ServerPanel connectionId={selected} refreshKey={refreshKey} />
        <BackupPanel onRestored={refresh} />
        <StorageHealth refreshKey={refreshKey} onAlarm={(status) => setAlarm(!!status)} />
      </main>
    </div>
  );
}
