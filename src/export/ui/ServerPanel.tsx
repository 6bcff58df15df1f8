/** Personal-server link and export status for the selected connection (owned by the export feature). */
import { useEffect, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { send, type ResponseOf } from '../../messages/client';
import { isLoopbackHost, normaliseOrigin, originPermissionPattern } from '../client';
import { formatMoment } from '../../ui/format';
import { ADDRESS_EXAMPLE, serverAddressProblem } from './server-address';

type Status = ResponseOf<'export.status'>[number];
type Batches = ResponseOf<'export.batches'>;

/** A message after an action: success (it worked) or warning (it worked in part). */
type Notice = { text: string; tone: 'success' | 'warning' };

const STATUS_WORDS: Record<string, string> = {
  active: 'Sending to your server',
  retrying: 'Waiting for your server',
  paused_auth: 'Paused: link again',
  needs_permission: 'Paused: permission needed',
  blocked: 'Paused: server not compatible',
};

/**
 * Why the server refused a group of records, in the owner's words; the
 * server's own sentence stays under Technical details.
 */
export function refusalInOwnerWords(reason: string): string {
  if (/is not declared/i.test(reason)) return 'your server does not expect this kind of record from Gleaner (its description of these records there is out of date or was changed)';
  if (/record identity|primary key|record_key/i.test(reason)) return 'your server could not tell these records apart';
  if (/too large|50 MiB/i.test(reason)) return 'they are more than your server takes in one request';
  return 'your server refused them (its reason is under Technical details)';
}

function when(iso?: string): string {
  return iso ? formatMoment(iso) : 'not yet';
}

/**
 * Asks for host permission for the server's address. Must run inside the
 * click handler (a user gesture), with nothing awaited before it: Firefox
 * refuses `permissions.request` once the handler has awaited anything ("may
 * only be called from a user input handler"). A permission already held
 * resolves `true` at once, with no prompt; otherwise the browser shows its own
 * prompt.
 */
function allowServer(origin: string): Promise<boolean> {
  return browser.permissions.request({ origins: [originPermissionPattern(origin)] }).catch(() => false);
}

export function ServerPanel(props: { connectionId?: string; refreshKey: number }) {
  const [origin, setOrigin] = useState('');
  const [code, setCode] = useState('');
  const [status, setStatus] = useState<Status>();
  const [batches, setBatches] = useState<Batches>([]);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<Notice>();
  /** The address field was left once: from then on its problem shows as the owner types. */
  const [addressChecked, setAddressChecked] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    void send('export.settings.get', {}).then((settings) => setOrigin((current) => current || settings.serverOrigin || ''));
  }, []);
  useEffect(() => {
    setNotice(undefined);
    setError(undefined);
  }, [props.connectionId]);
  useEffect(() => {
    if (!props.connectionId) return;
    void send('export.status', {}).then((list) => setStatus(list.find((entry) => entry.connectionId === props.connectionId)));
    void send('export.batches', { connectionId: props.connectionId, limit: 20 }).then(setBatches);
  }, [props.connectionId, props.refreshKey, tick]);

  if (!props.connectionId) return null;
  const connectionId = props.connectionId;
  const link = status?.link;
  let loopback = false;
  try {
    loopback = origin.trim() !== '' && isLoopbackHost(new URL(normaliseOrigin(origin)).hostname);
  } catch {
    loopback = false;
  }

  const addressProblem = serverAddressProblem(origin);
  const showAddressProblem = addressChecked && !!addressProblem;

  async function doLink() {
    setError(undefined);
    setNotice(undefined);
    setAddressChecked(true);
    if (addressProblem) return;
    let normalised: string;
    try {
      normalised = normaliseOrigin(origin);
    } catch (caught) {
      setError((caught as Error).message);
      return;
    }
    // Asked here, in the click and before any await, for this server only; never at install.
    const allowed = await allowServer(normalised);
    if (!allowed) {
      setError(`Gleaner needs your permission to reach ${normalised}. Click again and choose Allow.`);
      return;
    }
    setBusy('link');
    try {
      const linked = await send('export.link', { connectionId, serverOrigin: normalised, enrollmentCode: code.trim() || undefined });
      setCode('');
      const fresh = linked.newServerConnection ? 'Your server started a new connection for this account, so all of its history is sent to it. ' : '';
      setNotice({ text: `${fresh}Linked. Sending your records now…`, tone: 'success' });
      const [result] = await send('export.now', { connectionId });
      setNotice(result?.status === 'active' ? { text: `${fresh}Linked, and everything is on your server.`, tone: 'success' } : { text: result?.message ?? 'Linked.', tone: 'warning' });
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(undefined);
      setTick((value) => value + 1);
    }
  }

  /** One owner action: clears old words, shows it busy, reports its notice or its refusal, then re-reads the status. */
  async function act(kind: string, work: () => Promise<Notice | undefined>) {
    setError(undefined);
    setNotice(undefined);
    setBusy(kind);
    try {
      setNotice(await work());
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(undefined);
      setTick((value) => value + 1);
    }
  }

  const exportNow = () =>
    act('export', async () => {
      const [result] = await send('export.now', { connectionId });
      if (result?.status !== 'active') return undefined;
      const refused = result.setAside + result.conflicts;
      const sent = result.acceptedRecords > 0 ? `Sent ${result.acceptedRecords} record${result.acceptedRecords === 1 ? '' : 's'}.` : refused > 0 ? '' : 'Everything was already on your server.';
      const text = [sent, refused > 0 ? 'Your server refused some records; they are kept here, and the reason is below.' : ''].filter(Boolean).join(' ');
      return { text, tone: refused > 0 ? 'warning' : 'success' };
    });

  const sendAgain = () =>
    act('retry', async () => {
      const result = await send('export.retry', { connectionId });
      if (result.status !== 'active') return undefined;
      return result.setAside === 0 ? { text: 'Your server accepted them this time.', tone: 'success' } : { text: 'Your server still refuses some of them; the reason is below.', tone: 'warning' };
    });

  const unlink = () =>
    act('unlink', async () => {
      await send('export.unlink', { connectionId });
      return { text: 'This connection is no longer sent to your server. Nothing was deleted here or there.', tone: 'success' };
    });

  const needsRelink = link && (link.status === 'paused_auth' || link.status === 'needs_permission' || link.status === 'blocked');
  const linkForm = (
    <div class="link-form">
      <label class="field">
        Your personal server’s address
        <input
          type="url"
          value={origin}
          placeholder="https://pdpp.example.org"
          spellcheck={false}
          autocomplete="url"
          aria-invalid={showAddressProblem ? 'true' : 'false'}
          aria-describedby="server-origin-help"
          onInput={(event) => setOrigin((event.currentTarget as HTMLInputElement).value)}
          onBlur={() => setAddressChecked(true)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && origin.trim() !== '') void doLink();
          }}
          data-testid="server-origin"
        />
        {showAddressProblem ? (
          <span class="field-error" id="server-origin-help" role="alert" data-testid="server-origin-error">
            {addressProblem}
          </span>
        ) : (
          <span class="field-help" id="server-origin-help">
            {ADDRESS_EXAMPLE}
          </span>
        )}
      </label>
      <label class="field">
        Link code from your server {loopback ? '(not needed for a server on this computer)' : ''}
        <input type="text" value={code} autocomplete="off" onInput={(event) => setCode((event.currentTarget as HTMLInputElement).value)} data-testid="enrollment-code" />
      </label>
      <div class="actions">
        <button type="button" disabled={!!busy || origin.trim() === '' || showAddressProblem} onClick={() => void doLink()} data-testid="link-server">
          {busy === 'link' ? 'Linking…' : needsRelink ? 'Link again' : loopback && code.trim() === '' ? 'Link in one click' : 'Link to personal server'}
        </button>
      </div>
      <p class="hint">Gleaner will ask your browser for permission to reach this address only. Your records go straight from this browser to your server.</p>
    </div>
  );

  return (
    <section class="panel" aria-labelledby="server-heading" data-testid="server-panel" data-done={tick} aria-busy={busy ? 'true' : 'false'}>
      <h2 id="server-heading">Personal server</h2>
      {!link && (
        <>
          <p>{status?.displayName ?? 'This connection'} is kept in this browser only. Link it to your personal server to keep a copy there, updated as Gleaner learns more.</p>
          {linkForm}
        </>
      )}
      {link && (
        <div data-testid="export-status" data-status={link.status}>
          <p>
            <strong>{STATUS_WORDS[link.status] ?? link.status}</strong> · {link.serverOrigin}
          </p>
          {link.message && (
            <p class={link.status === 'retrying' ? 'notice' : 'error'} role="alert" data-testid="export-message">
              {link.message}
            </p>
          )}
          <p data-testid="export-progress">
            Last sent {when(link.lastSuccessAt)} · {(status?.pendingRecords ?? 0) === 0 ? 'nothing waiting' : `${(status?.pendingRecords ?? 0).toLocaleString('en-US')} waiting to be sent`}
          </p>
          {status && status.problems.length > 0 && (
            <div class="error" data-testid="export-problems">
              <p>Your server refused {status.problems.length === 1 ? 'one group' : `${status.problems.length} groups`} of records. They are kept here; later records were still sent.</p>
              <ul>
                {status.problems.map((problem) => (
                  <li key={problem.batchId}>
                    {problem.recordCount} records: {problem.status === 'conflict' ? 'your server already holds different records under the same name' : refusalInOwnerWords(problem.reason)}
                  </li>
                ))}
              </ul>
              <p class="hint">Gleaner sends them again by itself when it or its link changes. Fixed something on your server? Send them again now.</p>
              <div class="actions">
                <button type="button" class="secondary" disabled={!!busy || !!needsRelink} onClick={() => void sendAgain()} data-testid="retry-set-aside">
                  {busy === 'retry' ? 'Sending…' : 'Send again'}
                </button>
              </div>
            </div>
          )}
          {needsRelink && linkForm}
          <div class="actions">
            <button type="button" disabled={!!busy || !!needsRelink} onClick={() => void exportNow()} data-testid="export-now">
              {busy === 'export' ? 'Sending…' : 'Export now'}
            </button>
            <button type="button" class="secondary" disabled={!!busy} onClick={() => void unlink()} data-testid="unlink-server">
              Stop sending
            </button>
          </div>
          <details>
            <summary>Technical details</summary>
            <dl class="evidence">
              <dt>Device</dt>
              <dd>{link.deviceId}</dd>
              <dt>Source instance</dt>
              <dd>{link.sourceInstanceId}</dd>
              <dt>Connection on the server</dt>
              <dd>{link.connectorInstanceId}</dd>
              <dt>Account name on the server</dt>
              <dd>{link.localBindingName}</dd>
              <dt>Records and receipts sent so far (a record sent again after it changed counts again)</dt>
              <dd>{link.acceptedRecords}</dd>
              <dt>Manifest version</dt>
              <dd>{link.manifestVersion}</dd>
              {link.lastRequestId && (
                <>
                  <dt>Last server request id</dt>
                  <dd>{link.lastRequestId}</dd>
                </>
              )}
            </dl>
            {status && status.problems.length > 0 && (
              <ul data-testid="export-problem-details">
                {status.problems.map((problem) => (
                  <li key={problem.batchId}>
                    {problem.batchId}: the server said “{problem.reason}”{problem.requestId ? ` (request ${problem.requestId})` : ''}
                  </li>
                ))}
              </ul>
            )}
            <table>
              <thead>
                <tr>
                  <th scope="col">Batch</th>
                  <th scope="col">Records</th>
                  <th scope="col">State</th>
                  <th scope="col">sha256</th>
                </tr>
              </thead>
              <tbody>
                {batches.map((batch) => (
                  <tr key={batch.id} data-batch-id={batch.id} data-batch-status={batch.status}>
                    <td>{batch.id}</td>
                    <td>{batch.recordCount}</td>
                    <td>{batch.status}</td>
                    <td>{batch.bodyHash.slice(0, 16)}…</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </div>
      )}
      {notice && (
        <p class={notice.tone} role="status" data-testid="server-notice" data-tone={notice.tone}>
          {notice.text}
        </p>
      )}
      {error && (
        <p class="error" role="alert" data-testid="server-error">
          {error}
        </p>
      )}
    </section>
  );
}
