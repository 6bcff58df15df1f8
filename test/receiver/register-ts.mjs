// Usage: node --import ./test/receiver/register-ts.mjs test/receiver/cli.ts --port 7662
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
