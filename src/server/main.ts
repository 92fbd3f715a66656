import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock, type Random } from '../services/runtime.js';
import { SecretBox } from '../store/meta/secrets.js';
import { openSqliteMetadataStore } from '../store/meta/sqlite/SqliteMetadataStore.js';
import { buildHandler } from './app.js';
import { compose, type Services } from './compose.js';
import { createRegistryHandler } from '../registry/handler.js';
import type { RegistryAddressing } from '../services/ecr/addressing.js';
import { openFsBlobStore } from '../store/blobs/index.js';
import { loadOrCreateKey } from './keys.js';
import { ensureSelfSigned } from './tls.js';

/** Where and how to serve. */
export interface ServeOptions {
  readonly port: number;
  readonly host?: string;
  readonly dataDir: string;
  readonly region?: string;
  /** A certificate and key, or `self-signed` to make one in the data directory. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | 'self-signed';
  readonly logLevel?: string;
  /** How `repositoryUri` and `proxyEndpoint` are written (both styles are always accepted). */
  readonly registryStyle?: 'path' | 'host';
  /** The domain of host-style registry names `<account>.dkr.ecr.<region>.<domain>`. */
  readonly registryDomain?: string;
  /** Injected for tests; the system clock and crypto randomness otherwise. */
  readonly clock?: Clock;
  readonly random?: Random;
  /** Pin the management account's id on first start. */
  readonly managementAccountId?: string;
  /**
   * How often lifecycle policies are applied, each run followed by blob garbage collection (AWS
   * applies a policy within 24 hours); default {@link DEFAULT_LIFECYCLE_INTERVAL_MS}, 0 = never.
   */
  readonly lifecycleIntervalMs?: number;
  /** How long a blob link no image uses is kept before garbage collection (default 24 h). */
  readonly gcGraceMs?: number;
}

/** A running server. */
export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly services: Services;
  /** Path of the management account's credentials file. */
  readonly managementCredentialsFile: string;
  /** Stops accepting, lets in-flight requests finish, closes the database. */
  close(): Promise<void>;
}

/** Upload sessions untouched this long are abandoned (their bytes and records are removed). */
const ABANDONED_UPLOAD_MS = 24 * 3600_000;
const UPLOAD_SWEEP_INTERVAL_MS = 3600_000;
/** Lifecycle policies are applied, and garbage collected, hourly unless told otherwise. */
export const DEFAULT_LIFECYCLE_INTERVAL_MS = 3600_000;
/**
 * How often the replication worker looks for due jobs (retries, jobs of a worker that died): a push
 * wakes it at once, so this bounds only the delay of those.
 */
const REPLICATION_POLL_MS = 1_000;

/** The file DESIGN.md promises: the management account's root access key, mode 0600. */
export const MANAGEMENT_CREDENTIALS_FILE = 'management-credentials.json';

const cryptoRandom: Random = { bytes: (n) => randomBytes(n), uuid: () => randomUUID() };

/**
 * Starts crossdock: opens (or creates) the data directory, migrates the database, creates the
 * organization on first start and writes the management credentials, then listens on one port
 * for every API.
 */
export async function serve(opts: ServeOptions): Promise<RunningServer> {
  // Asynchronous writes: a log line per request must not block the event loop on stdout.
  const destination = pino.destination({ sync: false, minLength: 4096 });
  const log: Logger = pino(
    { level: opts.logLevel ?? process.env.CROSSDOCK_LOG_LEVEL ?? 'info' },
    destination,
  );
  const region = opts.region ?? 'us-east-1';
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const box = await SecretBox.forDataDir(opts.dataDir);
  const store = await openSqliteMetadataStore({ dataDir: opts.dataDir });
  const clock = opts.clock ?? systemClock;
  const blobs = await openFsBlobStore({ dataDir: opts.dataDir });
  const registryTokenKey = await loadOrCreateKey(opts.dataDir, 'token.key');
  const host = opts.host ?? '127.0.0.1';
  const scheme = opts.tls !== undefined ? 'https' : 'http';
  // The port is known only once listening (port 0 picks one); answers are written after that.
  let authority = '';
  const domain = opts.registryDomain ?? 'localhost';
  const addressing: RegistryAddressing = {
    style: opts.registryStyle ?? 'path',
    scheme,
    get authority() {
      return authority;
    },
    domain,
    get port() {
      return authority.slice(authority.lastIndexOf(':') + 1);
    },
    defaultRegion: region,
  };
  const { services, apis, ids } = compose({
    store,
    box,
    clock,
    random: opts.random ?? cryptoRandom,
    region,
    log,
    blobs,
    registryTokenKey,
    addressing,
    ...(opts.gcGraceMs !== undefined && { gcGraceMs: opts.gcGraceMs }),
  });

  const credentialsFile = join(opts.dataDir, MANAGEMENT_CREDENTIALS_FILE);
  const created = await services.organizations.bootstrap(
    opts.managementAccountId !== undefined ? { managementAccountId: opts.managementAccountId } : {},
  );
  if (created !== undefined) {
    const tmp = `${credentialsFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(created, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, credentialsFile);
    log.info(
      { accountId: created.AccountId, file: credentialsFile },
      'created the organization and its management account',
    );
  }

  const registry = createRegistryHandler({
    backend: services.registry,
    defaultRegion: region,
    hostDomain: domain,
    log,
  });
  const handler = buildHandler({
    store,
    box,
    clock,
    ids,
    log,
    apis,
    registry,
    secure: opts.tls !== undefined,
  });
  let server: Server;
  if (opts.tls !== undefined) {
    const files =
      opts.tls === 'self-signed'
        ? await ensureSelfSigned(opts.dataDir, opts.host ? [opts.host] : [])
        : opts.tls;
    const [cert, key] = await Promise.all([readFile(files.certFile), readFile(files.keyFile)]);
    server = createHttpsServer({ cert, key }, handler);
  } else {
    server = createHttpServer(handler);
  }
  server.keepAliveTimeout = 65_000;
  // Blob uploads can take longer than node's 300 s default; idle sockets are still reaped.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  authority = `${advertisedHost(host)}:${port}`;
  const sweep = setInterval(() => {
    services.uploads.cleanup(ABANDONED_UPLOAD_MS).then(
      (n) => {
        if (n > 0) log.info({ removed: n }, 'removed abandoned uploads');
      },
      (err: unknown) => log.error({ err }, 'upload clean-up failed'),
    );
  }, UPLOAD_SWEEP_INTERVAL_MS);
  sweep.unref();
  // Lifecycle policies, then garbage collection: the run in flight is awaited on close.
  let maintaining: Promise<unknown> = Promise.resolve();
  const lifecycleEvery = opts.lifecycleIntervalMs ?? DEFAULT_LIFECYCLE_INTERVAL_MS;
  const maintenance =
    lifecycleEvery > 0
      ? setInterval(() => {
          maintaining = services.maintenance.run().then(
            (r) => {
              const expired = r.lifecycle.repositories.reduce((n, x) => n + x.expired.length, 0);
              if (expired > 0 || r.gc.deleted.length > 0)
                log.info(
                  { expired, deletedBlobs: r.gc.deleted.length, freedBytes: r.gc.freedBytes },
                  'applied lifecycle policies and collected garbage',
                );
            },
            (err: unknown) => log.error({ err }, 'lifecycle run or garbage collection failed'),
          );
        }, lifecycleEvery)
      : undefined;
  maintenance?.unref();
  services.replication.start(REPLICATION_POLL_MS);
  log.info({ url, dataDir: opts.dataDir, region }, 'listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    services,
    managementCredentialsFile: credentialsFile,
    close() {
      closing ??= (async () => {
        clearInterval(sweep);
        clearInterval(maintenance);
        await services.replication.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await maintaining;
        await store.close();
        log.info('stopped');
        destination.flushSync();
      })();
      return closing;
    },
  };
}

/** The host image references name: a wildcard bind is reached as `localhost`. */
function advertisedHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
