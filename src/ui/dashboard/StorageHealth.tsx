/**
 * Storage health: how much Gleaner stores, whether the browser promised to
 * keep it (persistent storage), and the alarm if the eviction canary ever
 * disappeared.
 */
import { useEffect, useState } from 'preact/hooks';
import { send, type ResponseOf } from '../../messages/client';
import { formatBytes, formatMoment } from '../format';

type Canary = ResponseOf<'storage.health'>;

export interface StorageFacts {
  usage?: number;
  quota?: number;
  persisted?: boolean;
}

export async function readStorageFacts(): Promise<StorageFacts> {
  const storage = navigator.storage;
  if (!storage) return {};
  const [estimate, persisted] = await Promise.all([storage.estimate?.().catch(() => undefined), storage.persisted?.().catch(() => undefined)]);
  return { usage: estimate?.usage, quota: estimate?.quota, persisted };
}

export function StorageHealth(props: { refreshKey: number; onAlarm?(alarm: Canary['alarm']): void }) {
  const [facts, setFacts] = useState<StorageFacts>({});
  const [canary, setCanary] = useState<Canary>();
  const [asked, setAsked] = useState<string>();

  const load = () => {
    void readStorageFacts().then(setFacts);
    void send('storage.health', {})
      .then((status) => {
        setCanary(status);
        props.onAlarm?.(status.alarm);
      })
      .catch(() => undefined);
  };
  useEffect(load, [props.refreshKey]);

  async function askPersist() {
    const granted = await navigator.storage?.persist?.().catch(() => false);
    setAsked(granted ? 'The browser agreed to keep Gleaner’s data.' : 'The browser did not agree yet. Browsers often decide by how much you use a site; Gleaner will ask again.');
    load();
  }

  return (
    <section class="panel" aria-labelledby="storage-heading" data-testid="storage-health">
      <h2 id="storage-heading" tabIndex={-1}>
        Storage health
      </h2>
      {canary?.alarm && (
        <div class="alarm" role="alert" data-testid="storage-alarm">
          <h3>Some of Gleaner’s data may have been deleted by the browser</h3>
          <p>
            A safety marker Gleaner kept since {formatMoment(canary.alarm.plantedAt)} was gone on {formatMoment(canary.alarm.detectedAt)}. Browsers can clear extension data when the disk is nearly full. Check your connections below, and import your exports again if records are missing.
          </p>
          <button
            type="button"
            class="secondary"
            onClick={() =>
              void send('storage.acknowledgeAlarm', {})
                .then(load)
                .catch(() => undefined)
            }
          >
            I understand
          </button>
        </div>
      )}
      <dl class="health">
        <div>
          <dt>Space used</dt>
          <dd data-testid="storage-bytes">
            {facts.usage === undefined ? 'unknown' : formatBytes(facts.usage)}
            {facts.quota ? <span class="muted"> of {formatBytes(facts.quota)} available</span> : null}
          </dd>
        </div>
        <div>
          <dt>Kept safe from clean-ups</dt>
          <dd data-testid="storage-persisted" data-persisted={facts.persisted === undefined ? 'unknown' : String(facts.persisted)}>
            {facts.persisted ? 'Yes: the browser promised to keep this data.' : facts.persisted === false ? 'Not promised yet.' : 'Unknown in this browser.'}
            {facts.persisted === false && (
              <>
                {' '}
                <button type="button" class="secondary small" onClick={() => void askPersist()}>
                  Ask the browser to keep it
                </button>
              </>
            )}
          </dd>
        </div>
        <div>
          <dt>Safety marker</dt>
          <dd data-testid="storage-canary" data-present={canary ? String(canary.present) : 'unknown'}>
            {!canary ? 'checking…' : canary.alarm ? 'Was missing (see above); a new one is in place.' : `In place since ${formatMoment(canary.plantedAt)}.`}
          </dd>
        </div>
      </dl>
      {asked && (
        <p role="status" class="hint">
          {asked}
        </p>
      )}
    </section>
  );
}
