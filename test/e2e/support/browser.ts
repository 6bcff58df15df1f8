/** Where Chromium is, and the flags it needs here (no sandbox as root, no background networking). */
import { existsSync } from 'node:fs';

export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((candidate): candidate is string => !!candidate && existsSync(candidate));
}

export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-gpu',
  '--disable-quic',
];

export const MISSING_BROWSER_MESSAGE = [
  'No Chromium found for the end-to-end tests.',
  'Install Debian’s Chromium:  apt-get update && apt-get install -y chromium',
  'or point CHROMIUM_PATH at a Chromium or Chrome binary.',
].join('\n');
