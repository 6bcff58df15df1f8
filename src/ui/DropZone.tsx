/**
 * A file drop zone: click it, press Enter or Space on it, or drop a file on
 * it. One file at a time; it says what files it takes. The real
 * `<input type="file">` stays inside (hidden), so the browser's own picker
 * and `setInputFiles` in tests work as before.
 */
import { useRef, useState } from 'preact/hooks';

export interface DropZoneProps {
  /** The input's `accept` list (".csv,.zip,…"). */
  accept: string;
  /** What the zone takes, in the owner's words ("CSV, JSON or zip…"). */
  takes: string;
  /** The action's words ("Choose an export file"). */
  label?: string;
  disabled?: boolean;
  compact?: boolean;
  /** Test id of the hidden file input. */
  inputTestId?: string;
  onFile(file: File): void;
}

/** Component styles (kept with the markup; the shared sheet is `src/ui/styles.css`). */
const STYLE = `
.drop-zone { display: flex; align-items: center; gap: 0.9rem; border: 2px dashed #b8c9d6; border-radius: var(--radius); background: #fbfcfd; padding: 1rem 1.1rem; cursor: pointer; transition: background 0.12s, border-color 0.12s; margin: 0.4rem 0 0.6rem; }
.drop-zone:hover { border-color: var(--accent); background: var(--accent-soft); }
.drop-zone:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-color: var(--accent); }
.drop-zone.over { border-color: var(--accent); border-style: solid; background: var(--accent-soft); }
.drop-zone[aria-disabled='true'] { opacity: 0.55; cursor: default; }
.drop-zone .dz-icon { flex: none; width: 2.4rem; height: 2.4rem; border-radius: 50%; background: var(--accent-soft); color: var(--accent); display: grid; place-items: center; }
.drop-zone .dz-text { display: grid; gap: 0.1rem; }
.drop-zone .dz-title { font-weight: 620; color: var(--ink); }
.drop-zone .dz-title .dz-pick { color: var(--accent); text-decoration: underline; text-underline-offset: 2px; }
.drop-zone .dz-takes { color: var(--muted); font-size: 0.88rem; }
.drop-zone.compact { padding: 0.7rem 0.8rem; gap: 0.6rem; }
.drop-zone.compact .dz-icon { width: 2rem; height: 2rem; }
.drop-zone input[type='file'] { position: absolute; width: 1px; height: 1px; opacity: 0; pointer-events: none; }
`;

export function DropZone({ accept, takes, label = 'Choose a file', disabled = false, compact = false, inputTestId, onFile }: DropZoneProps) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const open = () => {
    if (!disabled) input.current?.click();
  };
  return (
    <div
      class={`drop-zone${over ? ' over' : ''}${compact ? ' compact' : ''}`}
      role="button"
      tabIndex={disabled ? -1 : 0}
      aria-disabled={disabled ? 'true' : 'false'}
      data-testid="drop-zone"
      data-over={over ? 'true' : 'false'}
      onClick={(event) => {
        // The hidden input's own click bubbles here; do not open the picker twice.
        if (event.target !== input.current) open();
      }}
      onKeyDown={(event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          open();
        }
      }}
      onDragEnter={(event) => {
        event.preventDefault();
        if (!disabled) setOver(true);
      }}
      onDragOver={(event) => {
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = disabled ? 'none' : 'copy';
      }}
      onDragLeave={(event) => {
        const next = event.relatedTarget as Node | null;
        if (!next || !(event.currentTarget as HTMLElement).contains(next)) setOver(false);
      }}
      onDrop={(event) => {
        event.preventDefault();
        setOver(false);
        const file = event.dataTransfer?.files?.[0];
        if (file && !disabled) onFile(file);
      }}
    >
      <style>{STYLE}</style>
      <span class="dz-icon" aria-hidden="true">
        <svg width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
          <path d="M12 16V4" />
          <path d="M7 9l5-5 5 5" />
          <path d="M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" />
        </svg>
      </span>
      <span class="dz-text">
        <span class="dz-title">
          {over ? (
            'Drop the file to read it'
          ) : (
            <>
              Drop a file here or <span class="dz-pick">{label.toLowerCase()}</span>
            </>
          )}
        </span>
        <span class="dz-takes">{takes}</span>
      </span>
      <input
        ref={input}
        type="file"
        tabIndex={-1}
        aria-hidden="true"
        accept={accept}
        disabled={disabled}
        data-testid={inputTestId}
        onChange={(event) => {
          const target = event.currentTarget as HTMLInputElement;
          const file = target.files?.[0];
          if (file) onFile(file);
          target.value = '';
        }}
      />
    </div>
  );
}
