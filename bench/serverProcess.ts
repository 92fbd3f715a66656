// The server as its own process for benchmarks: `tsx bench/serverProcess.ts PORT DATA_DIR`.
// Prints `ready` once listening; stops on SIGTERM.
import { serve } from '../src/server/main.js';

const [port, dataDir] = process.argv.slice(2);
const server = await serve({
  port: Number(port),
  dataDir: dataDir!,
  logLevel: process.env.CROSSDOCK_LOG_LEVEL ?? 'info',
});
process.stderr.write('ready\n');
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
