/**
 * One stream's coverage as acquisition lanes (historical import, current
 * capture) on a shared time axis, drawn as SVG: each method's windows
 * (solid: complete, lighter: partial), the gaps nothing covers (hatched), and
 * how many records each method marked gone. Labels are HTML beside and below
 * the SVG so they stay readable at any width.
 */
import type { AcquisitionMethod } from '../../core/model';
import { completenessWord, formatShortWindow, formatWindow, methodSource, PARTIAL_MEANS, plural } from '../format';
import { dayNumber, dayString, describeDuration, layoutTimeline, type LaneInput } from '../timeline';

/** Each lane is one way records arrive, named as everywhere else (src/ui/format.ts), with what it usually reaches. */
const LANE_NAMES: Record<AcquisitionMethod, { title: string; subtitle: string }> = {
  owner_artifact: { title: methodSource('owner_artifact'), subtitle: 'all of your history, up to the day you asked' },
  browser_polyfill: { title: methodSource('browser_polyfill'), subtitle: 'what the pages showed you' },
  provider_api: { title: methodSource('provider_api'), subtitle: 'from the service' },
  device_sync: { title: methodSource('device_sync'), subtitle: 'from a device' },
  device_backup: { title: methodSource('device_backup'), subtitle: 'from a backup' },
};

const LANE_HEIGHT = 40;
const BAR_HEIGHT = 22;

export function Timeline(props: { stream: string; streamLabel: string; lanes: LaneInput[]; today: string; legend?: boolean }) {
  const layout = layoutTimeline(props.lanes, { today: props.today, always: ['owner_artifact', 'browser_polyfill'] });
  if (!layout) return <p class="hint">Nothing covered yet for {props.streamLabel.toLowerCase()}.</p>;
  const height = layout.lanes.length * LANE_HEIGHT;
  const titleId = `tl-title-${props.stream}`;
  const description = layout.lanes
    .map((lane) => `${LANE_NAMES[lane.method].title}: ${lane.windows.length ? lane.windows.map((w) => formatWindow(w.start, w.end)).join('; ') : 'nothing yet'}`)
    .join('. ');
  return (
    <figure class="timeline" data-testid="coverage-timeline" data-stream={props.stream} data-domain-start={layout.domain.start} data-domain-end={layout.domain.end}>
      <figcaption id={titleId}>{props.streamLabel}</figcaption>
      <div class="tl-grid">
        <ul class="tl-labels" aria-hidden="true">
          {layout.lanes.map((lane) => (
            <li key={lane.method} style={{ height: `${LANE_HEIGHT}px` }}>
              <span class="tl-lane-title">
                <span class={`swatch ${lane.method}`} />
                {LANE_NAMES[lane.method].title}
              </span>
              <span class="tl-lane-sub">
                {lane.windows.length === 0 ? 'nothing yet' : LANE_NAMES[lane.method].subtitle}
                {lane.tombstoned > 0 ? ` · ${plural(lane.tombstoned, 'marked gone', 'marked gone')}` : ''}
              </span>
            </li>
          ))}
        </ul>
        <div class="tl-plot">
          <svg
            viewBox={`0 0 ${layout.width} ${height}`}
            preserveAspectRatio="none"
            width="100%"
            height={height}
            role="img"
            aria-labelledby={titleId}
            aria-describedby={`${titleId}-desc`}
            data-testid="timeline-svg"
          >
            <defs>
              <pattern id={`hatch-${props.stream}`} width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                <rect width="8" height="8" class="tl-gap-bg" />
                <line x1="0" y1="0" x2="0" y2="8" class="tl-gap-line" />
              </pattern>
            </defs>
            {layout.ticks.map((tick) => (
              <line key={tick.day} x1={tick.x} x2={tick.x} y1={0} y2={height} class="tl-tick" vector-effect="non-scaling-stroke" />
            ))}
            {layout.lanes.map((lane, index) => {
              const y = index * LANE_HEIGHT + (LANE_HEIGHT - BAR_HEIGHT) / 2;
              return (
                <g key={lane.method} class="tl-lane" data-lane={lane.method} data-tombstoned={lane.tombstoned} data-window-count={lane.windows.length}>
                  <rect class="tl-track" x={0} y={y} width={layout.width} height={BAR_HEIGHT} rx={3} />
                  {layout.gaps.map((gap) => (
                    <rect key={`gap-${gap.start}`} class="tl-gap" x={gap.x} y={y} width={gap.width} height={BAR_HEIGHT} fill={`url(#hatch-${props.stream})`} />
                  ))}
                  {lane.windows.map((window) => (
                    <rect
                      key={`${window.start}-${window.completeness}`}
                      class={`tl-window ${lane.method} ${window.completeness}`}
                      x={window.x}
                      y={y}
                      width={window.width}
                      height={BAR_HEIGHT}
                      rx={2}
                      data-start={window.start}
                      data-end={window.end}
                      data-completeness={window.completeness}
                      data-batches={window.batchIds.length}
                    >
                      <title>
                        {LANE_NAMES[lane.method].title}: {formatWindow(window.start, window.end)} ({completenessWord(window.completeness)})
                      </title>
                    </rect>
                  ))}
                </g>
              );
            })}
          </svg>
          <div class="tl-axis" aria-hidden="true" data-many={layout.ticks.length > 5 ? '' : undefined}>
            {layout.ticks.map((tick) => (
              <span key={tick.day} style={{ left: `${(tick.x / layout.width) * 100}%` }}>
                {tick.label}
              </span>
            ))}
          </div>
        </div>
      </div>
      <p id={`${titleId}-desc`} class="visually-hidden">
        {description}.
      </p>
      <ul class="tl-gaps" data-testid="coverage-gaps">
        {layout.gaps.length === 0 ? (
          <li class="ok">No gaps: every day from the first record on is covered.</li>
        ) : (
          layout.gaps.map((gap) => (
            <li key={gap.start} data-gap-start={gap.start} data-gap-end={gap.end} data-gap-kind={gap.kind}>
              <span class="gap-swatch" aria-hidden="true" />
              {gap.kind === 'since'
                ? `Nothing covered after ${formatShortWindow(dayString(dayNumber(gap.start) - 1), dayString(dayNumber(gap.start) - 1))} (${describeDuration(gap.days)} up to today)`
                : `Not covered ${formatShortWindow(gap.start, gap.end)} (${describeDuration(gap.days)})`}
            </li>
          ))
        )}
        {layout.lanes
          .filter((lane) => lane.tombstoned > 0)
          .map((lane) => (
            <li key={`gone-${lane.method}`} class="gone-note" data-tombstoned-by={lane.method}>
              {plural(lane.tombstoned, 'record', 'records')} marked gone by {LANE_NAMES[lane.method].title.toLowerCase()} (still kept; shown with “Include records marked gone”)
            </li>
          ))}
      </ul>
      {props.legend !== false && (
        <p class="tl-legend" aria-hidden="true">
          <span>
            <i class="lg full" /> complete
          </span>
          <span>
            <i class="lg partial" /> <abbr title={PARTIAL_MEANS}>partly seen</abbr>
          </span>
          <span>
            <i class="lg gap" /> not covered
          </span>
        </p>
      )}
    </figure>
  );
}
