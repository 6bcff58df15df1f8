/** The toolbar popup: does Gleaner read this page, and what it holds. */
import { useEffect, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { send, type ResponseOf } from '../../messages/client';

type Connections = ResponseOf<'connections.list'>;
type Connectors = ResponseOf<'connectors.list'>;

export function Popup() {
  const [tabHost, setTabHost] = useState<string>();
  const [connectors, setConnectors] = useState<Connectors>([]);
  const [connections, setConnections] = useState<Connections>([]);

  useEffect(() => {
    void browser.tabs.query({ active: true, currentWindow: true }).then(([tab]) => {
      try {
        setTabHost(tab?.url ? new URL(tab.url).hostname : undefined);
      } catch {
        setTabHost(undefined);
      }
    });
    void send('connectors.list', {}).then(setConnectors);
    void send('connections.list', {}).then(setConnections);
  }, []);

  const covering = connectors.find((connector) => tabHost && connector.hosts.includes(tabHost));
  return (
    <main class="popup">
      <h1>Gleaner</h1>
      <p data-testid="tab-status">
        {covering ? `Gleaner keeps your ${covering.displayName} records from this site.` : 'Gleaner does not read this page.'}
      </p>
      <ul class="connections" data-testid="popup-connections">
        {connections.map((connection) => (
          <li key={connection.id}>
            {connection.displayName}: {connection.visibleRecords} records
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => void browser.tabs.create({ url: browser.runtime.getURL('/dashboard.html') }).then(() => window.close())}>
        Open dashboard and import a file
      </button>
    </main>
  );
}
