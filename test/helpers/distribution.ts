// Debian's `docker-registry` (CNCF distribution 2.8) on a loopback port, anonymous, for tests that
// need another registry: an upstream for the pull-through cache, a source or target of copies.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DISTRIBUTION = '/usr/bin/docker-registry';

/** Why the tests that need it are skipped, or `undefined` when it is installed. */
export const distributionMissing: string | undefined = existsSync(DISTRIBUTION)
  ? undefined
  : `${DISTRIBUTION} is not installed (Debian package docker-registry; .ci/run installs it)`;

/** A running registry: `host` is `127.0.0.1:PORT`. */
export interface Distribution {
  readonly host: string;
  /** Stops it (by PID), keeping its data, so that `start` can bring the same registry back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Starts a registry with its own data directory and waits until `/v2/` answers. */
export async function startDistribution(): Promise<Distribution> {
  const dir = await mkdtemp(join(tmpdir(), 'crossdock-distribution-'));
  const host = `127.0.0.1:${await freePort()}`;
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n` +
      `  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n`,
  );
  let child: ChildProcess | undefined;
  const stop = async () => {
    const c = child;
    child = undefined;
    if (c?.pid === undefined || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    process.kill(c.pid, 'SIGTERM');
    await exited;
  };
  const start = async () => {
    child = spawn(DISTRIBUTION, ['serve', config], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`http://${host}/v2/`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    await stop();
    throw new Error(`docker-registry did not answer on ${host}`);
  };
  await start();
  return {
    host,
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
