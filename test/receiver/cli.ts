/**
 * Run the test receiver as a standalone process, e.g. for manual testing of
 * the extension against http://127.0.0.1:7662.
 *
 *   npx tsx test/receiver/cli.ts --port 7662 [--host 127.0.0.1] [--data-file f.json]
 */
import { startReceiver } from './server.ts';

interface CliOptions {
  port: number;
  host: string;
  dataFile: string | undefined;
}

function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { port: 7662, host: '127.0.0.1', dataFile: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--port' && value !== undefined) options.port = Number(value);
    else if (flag === '--host' && value !== undefined) options.host = value;
    else if (flag === '--data-file' && value !== undefined) options.dataFile = value;
    else throw new Error(`unknown or incomplete argument: ${flag}`);
    i++;
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error(`invalid --port ${String(options.port)}`);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const receiver = await startReceiver(options);
console.log(`receiver listening on ${receiver.origin}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void receiver.close().then(() => process.exit(0));
  });
}
