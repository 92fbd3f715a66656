// A crossdock server started in-process for integration tests: a temporary data directory, a
// free port on 127.0.0.1, silent logs, and helpers to create accounts and restart.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CROSSDOCK_TARGET_PREFIX } from '../../src/api/crossdock/index.js';
import { callJson } from '../../src/cli/signedCall.js';
import { serve, type RunningServer, type ServeOptions } from '../../src/server/main.js';

/** Root credentials of an account, as crossdock hands them out. */
export interface AccountCredentials {
  readonly AccountId: string;
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
}

/** SDK-style credentials from an account's root key. */
export function sdkCredentials(c: AccountCredentials): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey };
}

/** A running test server. */
export interface TestServer {
  readonly endpoint: string;
  readonly port: number;
  readonly dataDir: string;
  readonly management: AccountCredentials;
  readonly server: RunningServer;
  /** Creates a member account (crossdock extension) and returns its root key. */
  createAccount(alias: string, accountId?: string): Promise<AccountCredentials & { Alias: string }>;
  /** Stops the server and starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

/** Starts a server for one test file. */
export async function startServer(
  opts: Partial<Pick<ServeOptions, 'clock' | 'random' | 'region' | 'gcGraceMs' | 'lifecycleIntervalMs'>> = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'crossdock-test-'));
  const base = { dataDir, logLevel: 'silent', host: '127.0.0.1', ...opts };
  let server = await serve({ ...base, port: 0 });
  const port = server.port;
  const management = JSON.parse(
    await readFile(server.managementCredentialsFile, 'utf8'),
  ) as AccountCredentials;
  const t: TestServer = {
    get endpoint() {
      return server.url;
    },
    port,
    dataDir,
    management,
    get server() {
      return server;
    },
    async createAccount(alias, accountId) {
      const out = await callJson(server.url, {
        target: `${CROSSDOCK_TARGET_PREFIX}.CreateAccount`,
        signingName: 'crossdock',
        body: { Alias: alias, ...(accountId !== undefined && { AccountId: accountId }) },
        credentials: sdkCredentials(management),
        region: opts.region ?? 'us-east-1',
      });
      return { ...(out.Credentials as AccountCredentials), Alias: alias };
    },
    async restart() {
      await server.close();
      server = await serve({ ...base, port });
    },
    async stop() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}
