/** Pause settings and the content script's gate: paused means nothing is extracted or sent. */
import { describe, expect, it, vi } from 'vitest';
import { isCapturePaused, normaliseCaptureSettings, pauseReason, withPause, DEFAULT_CAPTURE_SETTINGS } from '../../../src/capture/settings';

describe('capture settings', () => {
  it('pauses per site and globally; global wins; resuming one site leaves the others', () => {
    let settings = withPause(DEFAULT_CAPTURE_SETTINGS, { scope: 'site', host: 'WWW.amazon.com', paused: true });
    settings = withPause(settings, { scope: 'site', host: 'www.netflix.com', paused: true });
    expect(settings.pausedHosts).toEqual(['www.amazon.com', 'www.netflix.com']);
    expect(pauseReason(settings, 'www.amazon.com')).toBe('site');
    expect(isCapturePaused(settings, 'www.example.com')).toBe(false);
    settings = withPause(settings, { scope: 'global', paused: true });
    expect(pauseReason(settings, 'www.amazon.com')).toBe('global');
    expect(isCapturePaused(settings, 'www.example.com')).toBe(true);
    settings = withPause(withPause(settings, { scope: 'global', paused: false }), { scope: 'site', host: 'www.amazon.com', paused: false });
    expect(settings).toEqual({ paused: false, pausedHosts: ['www.netflix.com'] });
    expect(DEFAULT_CAPTURE_SETTINGS).toEqual({ paused: false, pausedHosts: [] });
  });

  it('reads anything malformed as "not paused" and never throws', () => {
    expect(normaliseCaptureSettings(undefined)).toEqual({ paused: false, pausedHosts: [] });
    expect(normaliseCaptureSettings({ paused: 'yes', pausedHosts: ['a.com', 3, '', 'A.com'] })).toEqual({ paused: false, pausedHosts: ['a.com'] });
    expect(() => withPause(DEFAULT_CAPTURE_SETTINGS, { scope: 'site', paused: true })).toThrow();
  });
});
