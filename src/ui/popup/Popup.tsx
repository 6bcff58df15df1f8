/**
 * The toolbar popup: does Gleaner read this tab, is capture on or paused
 * here, what the last capture on this tab saw; pause/resume per site and
 * everywhere; import a file; open the dashboard.
 *
 * Testing hook: `popup.html?tabId=<id>` describes that tab instead of the
 * active one (a popup opened as a normal tab would otherwise describe itself).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { send, type ResponseOf } from '../../messages/client';
import { watchChanges } from '../../messages/changes';
import { connectionCounts, plural } from '../format';
import { ImportPanel } from '../dashboard/ImportPanel';
import { describeCapture, pageChanged, pageChangedLine } from './capture-line';
import { CAPTURE_SETTINGS_KEY } from '../../capture/settings';
import { accountsNextSteps, pickAccount } from '../dashboard/sources';
import type { NextStep } from '../next-steps';
import { localDayOf } from '../../core/local-day';

type Connections = ResponseOf<'connections.list'>;
type TabStatus = ResponseOf<'tab.status'>;

async function targetTab(): Promise<{ id?: number; url?: string }> {
  const requested = Number(new URLSearchParams(location.search).get('tabId'));
  if (Number.isInteger(requested) && requested > 0) {
    const tab = await browser.tabs.get(requested).catch(() => undefined);
    return { id: tab?.id ?? requested, url: tab?.url };
  }
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return { id: tab?.id, url: tab?.url };
}

function openDashboard(hash = '') {
  void browser.tabs.create({ url: browser.runtime.getURL(`/dashboard.html${hash}`) }).then(() => window.close());
}

/** The next step for the current tab's account (its last capture's), else the most recent account: one line. */
async function readNextStep(status: TabStatus | undefined): Promise<{ accountName: string; step: NextStep } | undefined> {
  const sources = (await send('sources.overview', {})).filter((source) => source.connections.length > 0);
  const newestAt = (source: (typeof sources)[number]) => pickAccount(source)?.methods.reduce((max, fact) => (fact.lastAt > max ? fact.lastAt : max), '') ?? '';
  const source = sources.find((candidate) => candidate.key === status?.connector?.key) ?? [...sources].sort((a, b) => newestAt(b).localeCompare(newestAt(a)))[0];
  const account = source && pickAccount(source, status?.lastCapture?.connectionId);
  if (!source || !account) return undefined;
  const coverage = await send('coverage.get', { connectionId: account.id });
  const today = localDayOf();
  const [mine] = accountsNextSteps({ ...source, connections: [account] }, new Map([[account.id, coverage]]), today);
  return mine?.steps[0] && { accountName: mine.accountName, step: mine.steps[0] };
}

export function Popup() {
  const [nextStep, setNextStep] = useState<{ accountName: string; step: NextStep }>();
  const [status, setStatus] = useState<TabStatus>();
  const [connections, setConnections] = useState<Connections>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const tabRef = useRef<{ id?: number; url?: string }>();
  const load = async (target = tabRef.current) => {
    if (!target) return;
    const next = await send('tab.status', { tabId: target.id, url: target.url });
    setStatus(next);
    setNextStep(await readNextStep(next).catch(() => undefined));
  };
  // The tab is looked up again on each re-read: it may have moved to another page since.
  const reread = async () => {
    const target = await targetTab();
    tabRef.current = target;
    await Promise.all([load(target), send('connections.list', {}).then(setConnections)]);
  };
  useEffect(() => {
    void reread();
    // Live: re-read the tab and the connections when a write lands anywhere (a capture here or in
    // another tab, an import, a rename, a delete), and when this tab's last capture or the pause settings change.
    const watch = watchChanges(reread);
    const onStorage = (changes: Record<string, unknown>, area: string) => {
      const id = tabRef.current?.id;
      // `gleaner.tab.<id>`: the last capture on a tab (src/background/owner-handlers.ts, TAB_CAPTURE_PREFIX).
      if ((area === 'session' && id !== undefined && `gleaner.tab.${id}` in changes) || (area === 'local' && CAPTURE_SETTINGS_KEY in changes)) watch.nudge();
    };
    browser.storage.onChanged.addListener(onStorage);
    return () => {
      watch.stop();
      browser.storage.onChanged.removeListener(onStorage);
    };
  }, []);

  async function pause(change: { scope: 'global'; paused: boolean } | { scope: 'site'; host: string; paused: boolean }) {
    setBusy(true);
    setError(undefined);
    try {
      await send('capture.pause', change);
      await load();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  const host = status?.host;
  const connector = status?.connector;
  const line = status?.lastCapture ? describeCapture(status.lastCapture, status.streamNouns) : undefined;
  // A page Gleaner could not read (its layout changed) is a problem, never "keeps your records".
  const changed = !!status?.lastCapture && pageChanged(status.lastCapture);
  const state = !connector ? 'unread' : status?.paused ? 'paused' : status?.readsThisPage ? (changed ? 'problem' : 'on') : 'other-page';

  return (
    <main class="popup">
      <header class="popup-head">
        <p class="brand">
          <img class="brand-mark" src="/icon/32.png" alt="" width={18} height={18} />
          Gleaner
        </p>
        <button type="button" class="link" onClick={() => openDashboard()} data-testid="open-dashboard">
          Open dashboard
        </button>
      </header>

      <section class={`tab-card ${state}`} aria-labelledby="tab-heading" data-testid="tab-card" data-state={state}>
        <h1 id="tab-heading" class="visually-hidden">
          This tab
        </h1>
        {!status ? (
          <p>Checking this tab…</p>
        ) : connector ? (
          <>
            <p class="status-line" data-testid="tab-status">
              <span class={`dot ${state}`} aria-hidden="true" />
              {status.paused === 'global'
                ? `Capture is paused everywhere. Gleaner reads ${connector.displayName} here but keeps nothing right now.`
                : status.paused === 'site'
                  ? `Capture is paused on ${host}. Nothing from this site is kept.`
                  : status.readsThisPage
                    ? changed
                      ? pageChangedLine(connector.displayName)
                      : `Gleaner keeps your ${connector.displayName} records from this page.`
                    : `Gleaner does not read this ${connector.displayName} page, only the pages that list your records.`}
            </p>
            {line && !status.paused ? (
              <div class={`last-capture ${line.tone}`} data-testid="last-capture" data-tone={line.tone}>
                <p class="headline">{line.headline}</p>
                <p class="detail">{line.tone === 'problem' ? line.detail : `Last capture on this tab: ${line.detail}`}</p>
              </div>
            ) : (
              !status.paused && (
                <p class="hint">
                  {status.readsThisPage ? 'Nothing seen on this tab yet; sign in so Gleaner knows whose records these are.' : 'Visit them while signed in and what they show is kept.'}
                </p>
              )
            )}
            {!status.readsThisPage && status.visit && (
              <p>
                <a href={status.visit.url} target="_blank" rel="noreferrer" data-testid="visit-link">
                  {status.visit.label}
                </a>
              </p>
            )}
            {host && status.paused !== 'global' && (
              <button
                type="button"
                class={status.paused === 'site' ? '' : 'secondary'}
                disabled={busy}
                data-testid="toggle-site"
                onClick={() => void pause({ scope: 'site', host, paused: status.paused !== 'site' })}
              >
                {status.paused === 'site' ? `Resume on ${host}` : `Pause on ${host}`}
              </button>
            )}
          </>
        ) : (
          <p class="status-line" data-testid="tab-status">
            <span class="dot unread" aria-hidden="true" />
            Gleaner does not read this page.
          </p>
        )}
      </section>

      <section class="popup-section" aria-label="Capture everywhere">
        <label class="switch">
          <input
            type="checkbox"
            role="switch"
            checked={!!status?.settings.paused}
            disabled={busy || !status}
            data-testid="toggle-global"
            onChange={(event) => void pause({ scope: 'global', paused: (event.currentTarget as HTMLInputElement).checked })}
          />
          <span>Pause capture everywhere</span>
        </label>
        {status && status.settings.pausedHosts.length > 0 && (
          <p class="hint">Paused on: {status.settings.pausedHosts.join(', ')}</p>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>

      <section class="popup-section" aria-labelledby="popup-connections-heading">
        <h2 id="popup-connections-heading">Your connections</h2>
        {nextStep && (
          <p class={`next ${nextStep.step.kind === 'nothing_missing' ? 'done' : ''}`} data-testid="popup-next-step" data-account={nextStep.accountName}>
            <strong>{nextStep.accountName}: </strong>
            {nextStep.step.text}
            {nextStep.step.links?.map((link) => (
              <span key={link.url}>
                {' '}
                <a href={link.url} target="_blank" rel="noreferrer">
                  {link.label}
                </a>
              </span>
            ))}
          </p>
        )}
        {connections.length === 0 ? (
          <p class="hint">None yet.</p>
        ) : (
          <ul class="popup-connections" data-testid="popup-connections">
            {connections.map((connection) => (
              <li key={connection.id}>
                <button type="button" class="link" onClick={() => openDashboard(`#connection=${encodeURIComponent(connection.id)}`)}>
                  {connection.displayName}
                </button>
                <span class="muted">{connectionCounts(connection)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <details class="popup-import">
        <summary>Import an export file</summary>
        <ImportPanel
          compact
          onImported={() => {
            void send('connections.list', {}).then(setConnections);
          }}
        />
        <p class="hint">
          Or{' '}
          <button type="button" class="link" onClick={() => openDashboard('#import')}>
            import in the dashboard
          </button>
          , where there is more room.
        </p>
      </details>
    </main>
  );
}
