/** One card per connector: its latest coverage fact, the owner's best next action, and the ways to get records in, written as jobs. */
import type { ResponseOf } from '../../messages/client';
import { bestNextAction, latestCoverageFact } from './sources';

type Sources = ResponseOf<'sources.overview'>;
type Source = Sources[number];

function accountsLabel(count: number): string {
  if (count === 0) return 'not connected yet';
  return count === 1 ? '1 account' : `${count} accounts`;
}

function SourceCard(props: { source: Source; today: string; onImport(): void }) {
  const { source } = props;
  const next = bestNextAction(source, props.today);
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
          <p class={`next ${next.method ? '' : 'done'}`} data-testid="source-next">
            <strong>{next.method ? 'Next: ' : ''}</strong>
            {next.text}
          </p>
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
