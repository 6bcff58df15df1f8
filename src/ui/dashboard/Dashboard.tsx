/** The full-page dashboard: sources, import, and each connection. */
import { useEffect, useState } from 'preact/hooks';
import { send, type ResponseOf } from '../../messages/client';
import { ImportPanel } from './ImportPanel';
import { ConnectionView } from './ConnectionView';
import { ServerPanel } from '../../export/ui/ServerPanel';
import { BackupPanel } from '../../export/ui/BackupPanel';

type Connections = ResponseOf<'connections.list'>;
type Connectors = ResponseOf<'connectors.list'>;

export function Dashboard() {
  const [connectors, setConnectors] = useState<Connectors>([]);
  const [connections, setConnections] = useState<Connections>([]);
  const [selected, setSelected] = useState<string>();
  const [refreshKey, setRefreshKey] = useState(0);

  useEffect(() => {
    void send('connectors.list', {}).then(setConnectors);
    void navigator.storage?.persist?.().catch(() => false);
  }, []);
  useEffect(() => {
    void send('connections.list', {}).then((list) => {
      setConnections(list);
      setSelected((current) => current ?? list[0]?.id);
    });
  }, [refreshKey]);

  return (
    <main class="dashboard">
      <header>
        <h1>Gleaner</h1>
        <p>Your own records, from the pages you visit and the exports you download, kept in this browser.</p>
      </header>
      <section class="panel" aria-labelledby="sources-heading">
        <h2 id="sources-heading">Sources</h2>
        {connectors.map((connector) => (
          <article key={connector.key} class="source">
            <h3>{connector.displayName}</h3>
            <p>Keep recent records current by visiting {connector.hosts.join(', ')} while signed in.</p>
            <details>
              <summary>Import your history from an export</summary>
              <ol>
                {connector.exportSteps.map((step, index) => (
                  <li key={index}>{step}</li>
                ))}
              </ol>
            </details>
          </article>
        ))}
      </section>
      <ImportPanel
        onImported={(connectionId) => {
          setSelected(connectionId);
          setRefreshKey((key) => key + 1);
        }}
      />
      <section class="panel" aria-labelledby="connections-heading">
        <h2 id="connections-heading">Connections</h2>
        {connections.length === 0 && <p>No connections yet. Visit a supported site or import an export.</p>}
        <ul class="connections" data-testid="connection-list">
          {connections.map((connection) => (
            <li key={connection.id} data-connection-id={connection.id}>
              <button type="button" aria-pressed={selected === connection.id} onClick={() => setSelected(connection.id)}>
                {connection.displayName}
              </button>{' '}
              <span>
                {connection.visibleRecords} records · {connection.batchCount} batches
              </span>
            </li>
          ))}
        </ul>
        <button type="button" class="secondary" onClick={() => setRefreshKey((key) => key + 1)}>
          Refresh
        </button>
      </section>
      {selected && <ConnectionView connectionId={selected} refreshKey={refreshKey} />}
      <ServerPanel connectionId={selected} refreshKey={refreshKey} />
      <BackupPanel onRestored={() => setRefreshKey((key) => key + 1)} />
    </main>
  );
}
