/**
 * Capture pause settings: the owner can pause capture everywhere or on one
 * site. Kept in `browser.storage.local` under one key so the content script
 * can read it cheaply (no zod, no database) and follow `storage.onChanged`.
 * Everything here except `readCaptureSettings` is pure.
 */

export const CAPTURE_SETTINGS_KEY = 'gleaner.capture';

export interface CaptureSettings {
  /** Capture paused on every site. */
  paused: boolean;
  /** Hosts (e.g. `www.amazon.com`) where capture is paused. Sorted, unique. */
  pausedHosts: string[];
}

export const DEFAULT_CAPTURE_SETTINGS: CaptureSettings = { paused: false, pausedHosts: [] };

/** Reads whatever is stored defensively: anything malformed means "not paused". */
export function normaliseCaptureSettings(value: unknown): CaptureSettings {
  if (typeof value !== 'object' || value === null) return { ...DEFAULT_CAPTURE_SETTINGS, pausedHosts: [] };
  const raw = value as { paused?: unknown; pausedHosts?: unknown };
  const hosts = Array.isArray(raw.pausedHosts) ? raw.pausedHosts.filter((host): host is string => typeof host === 'string' && host.length > 0 && host.length <= 253) : [];
  return { paused: raw.paused === true, pausedHosts: [...new Set(hosts.map((host) => host.toLowerCase()))].sort() };
}

export type PauseScope = 'global' | 'site';

/** Why capture is paused on `host`, or undefined when it runs. */
export function pauseReason(settings: CaptureSettings, host: string): PauseScope | undefined {
  if (settings.paused) return 'global';
  if (settings.pausedHosts.includes(host.toLowerCase())) return 'site';
  return undefined;
}

export function isCapturePaused(settings: CaptureSettings, host: string): boolean {
  return pauseReason(settings, host) !== undefined;
}

/** The settings after pausing or resuming globally or for one host. */
export function withPause(settings: CaptureSettings, change: { scope: PauseScope; host?: string; paused: boolean }): CaptureSettings {
  if (change.scope === 'global') return { ...settings, paused: change.paused, pausedHosts: [...settings.pausedHosts] };
  const host = (change.host ?? '').toLowerCase();
  if (!host) throw new Error('A site pause needs a host.');
  const hosts = new Set(settings.pausedHosts);
  if (change.paused) hosts.add(host);
  else hosts.delete(host);
  return { paused: settings.paused, pausedHosts: [...hosts].sort() };
}

/** The small slice of `browser.storage.*` Gleaner uses; lets unit tests pass an in-memory area. */
export interface StorageAreaLike {
  get(keys: string | string[]): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove?(keys: string | string[]): Promise<void>;
}

export async function readCaptureSettings(area: StorageAreaLike): Promise<CaptureSettings> {
  const stored = await area.get(CAPTURE_SETTINGS_KEY);
  return normaliseCaptureSettings(stored[CAPTURE_SETTINGS_KEY]);
}

export async function writeCaptureSettings(area: StorageAreaLike, settings: CaptureSettings): Promise<void> {
  await area.set({ [CAPTURE_SETTINGS_KEY]: normaliseCaptureSettings(settings) });
}
