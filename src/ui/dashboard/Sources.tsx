/** One card per connector: its latest coverage fact, each account's next steps (what is missing, what to do), and the ways to get records in, written as jobs. */
import { useEffect, useState } from 'preact/hooks';
import { send, type ResponseOf } from '../../messages/client';
import type { StreamCoverage } from '../../core/coverage';
import { accountsNextSteps, bestNextAction, latestCoverageFact, type AccountNextSteps } from './sources';

type Sources = ResponseOf<'sources.overview'>;
type Source = Sources[number];

function accountsLabel(count: number): string {
  if (count === 0) return 'not connected yet';
  return count === 1 ? '1 account' : `${count} accounts`;
}

function AccountSteps(props: { account: AccountNextSteps }) {
  const { account } = props;
  const done = account.steps.every((step) => step.kind === 'nothing_missing');
  return (
    <li class={`account-next ${done ? 'done' : ''}`} data-testid="account-next" data-account={account.accountName}>
      <strong>{account.accountName}</strong>
      <ol class="account-steps">
        {account.steps.map((step, index) => (
          <li key={index} data-kind={step.kind} data-testid="account-step">
            {step.text}
            {step.links && step.links.length > 0 && (
              <span class="step-links">
                {' '}
                {step.links.map((link, linkIndex) => (
                  <span key={link.url}>
                    {linkIndex > 0 && ' · '}
                    <a href={link.url} target="_blank" rel="noreferrer">
                      {link.label}
                    </a>
                  </span>
                ))}
              </span>
            )}
            {step.steps && step.steps.length > 0 && (
              <details>
                <summary>How to get it</summary>
                <ol>
                  {step.steps.map((text, stepIndex) => (
                    <li key={stepIndex}>{text}</li>
                  ))}
                </ol>
              </details>
            )}
          </li>
        ))}
      </ol>
    </li>
  );
}

function SourceCard(props: { source: Source; today: string; onImport(): void }) {
  const { source } = props;
  const next = bestNextAction(source, props.today);
  // Each account's coverage, re-read whenever the overview is (a write landed).
  const [coverage, setCoverage] = useState<Map<string, StreamCoverage[]>>(new Map());
  useEffect(() => {
    let live = true;
    void Promise.all(source.connections.map(async (connection) => [connection.id, await send('coverage.get', { connectionId: connection.id })] as const))
      .then((entries) => live && setCoverage(new Map(entries)))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [source]);
  const accounts = accountsNextSteps(source, coverage, props.today);
  return (
    <article class="source" data-testid="source-card" data-connector={source.key} aria-labelledby={`source-${source.key}`}>
      <header>
        <h3 id={`source-${source.key}`}>{source.displayName}</h3>
        <span class="muted">{accountsLabel(source.connections.length)}</span>
      </header>
      <div class="source-body">
        <div class="source-summary">
          <p class="fact" data-testid="source-fact">
            {latestCoverageFact(source)}
          </p>
          {source.connections.length === 0 ? (
            <p class={`next ${next.method ? '' : 'done'}`} data-testid="source-next">
              <strong>{next.method ? 'Next: ' : ''}</strong>
              {next.text}
            </p>
          ) : (
            <ul class="accounts-next" data-testid="source-next" aria-label={`What is missing from each ${source.displayName} account`}>
              {accounts.map((account) => (
                <AccountSteps key={account.connectionId} account={account} />
              ))}
            </ul>
          )}
        </div>
        <ul class="jobs" aria-label={`Ways to keep your ${source.displayName} records`}>
          {source.acquisitionPaths.map((path) => (
            <li key={path.title} data-method={path.method}>
              <details open={next.method === path.method && source.connections.length === 0}>
                <summary>{path.title}</summary>
                <p>{path.summary}</p>
                {path.steps && (
                  <ol>
                    {path.steps.map((step, index) => (
                      <li key={index}>{step}</li>
                    ))}
                  </ol>
                )}
                <div class="actions">
                  {path.method === 'owner_artifact' && (
                    <button type="button" class="small" onClick={props.onImport}>
                      I have the file: import it
                    </button>
                  )}
                  {path.url && (
                    <a class="button-link small" href={path.url} target="_blank" rel="noreferrer">
                      {path.urlLabel ?? 'Open'}
                    </a>
                  )}
                </div>
              </details>
            </li>
          ))}
        </ul>
      </div>
    </article>
  );
}

export function Sources(props: { sources: Sources; today: string; onImport(): void }) {
  return (
    <section class="panel" aria-labelledby="sources-heading">
      <h2 id="sources-heading">Sources</h2>
      <div class="source-grid">
        {props.sources.map((source) => (
          <SourceCard key={source.key} source={source} today={props.today} onImport={props.onImport} />
        ))}
      </div>
    </section>
  );
}
