/** One card per connector: its latest coverage fact, the owner's best next action, and the ways to get records in, written as jobs. */
import type { ResponseOf } from '../../messages/client';
import { bestNextAction, latestCoverageFact } from './sources';

type Sources = ResponseOf<'sources.overview'>;

export function Sources(props: { sources: Sources; today: string; onImport(): void }) {
  return (
    <section class="panel" aria-labelledby="sources-heading">
      <h2 id="sources-heading">Sources</h2>
      <div class="source-grid">
        {props.sources.map((source) => {
          const next = bestNextAction(source, props.today);
          return (
            <article key={source.key} class="source" data-testid="source-card" data-connector={source.key} aria-labelledby={`source-${source.key}`}>
              <header>
                <h3 id={`source-${source.key}`}>{source.displayName}</h3>
                <span class="muted">
                  {source.connections.length === 0 ? 'not connected yet' : source.connections.length === 1 ? '1 account' : `${source.connections.length} accounts`}
                </span>
              </header>
              <p class="fact" data-testid="source-fact">
                {latestCoverageFact(source)}
              </p>
              <p class={`next ${next.method ? '' : 'done'}`} data-testid="source-next">
                <strong>{next.method ? 'Next: ' : ''}</strong>
                {next.text}
              </p>
              <ul class="jobs">
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
            </article>
          );
        })}
      </div>
    </section>
  );
}
