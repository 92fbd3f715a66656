import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { CROSSDOCK_TARGET_PREFIX, maintenanceOut } from '../api/crossdock/index.js';
import { PolicyCache } from '../iam/index.js';
import { Authorizer } from '../services/authz.js';
import { EcrMaintenance } from '../services/ecr/maintenance.js';
import { systemClock } from '../services/runtime.js';
import { openFsBlobStore } from '../store/blobs/index.js';
import { METADATA_DB_FILE, openSqliteMetadataStore } from '../store/meta/sqlite/SqliteMetadataStore.js';
import { parseDuration } from './k8s.js';
import { CallError, callJson } from './signedCall.js';

const USAGE = `usage: crossdock lifecycle run (--endpoint URL | --data DIR) [--gc-grace 24h] [--json]

Applies every repository's lifecycle policy now, as the server does on its timer, then collects
the blobs no image references any more, and prints what went.

  --endpoint URL   ask a running server (CrossdockV20261101.RunLifecycle), signed with the standard
                   AWS credential chain: a principal of the organization's management account
                   allowed crossdock:RunLifecycle (its root key, for example)
  --data DIR       work on the data directory of a stopped server (one process owns a data
                   directory: use --endpoint while a server runs on it)
  --gc-grace D     with --data: keep blob links no image uses for D (default 24h); a server uses its own
  --json           print the report as JSON`;

type Report = ReturnType<typeof maintenanceOut>;

function print(r: Report, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  for (const repo of r.Repositories) {
    const where = `${repo.RegistryId}/${repo.Region}/${repo.RepositoryName}`;
    if (repo.Error !== undefined) console.log(`${where}: policy not applied: ${repo.Error}`);
    for (const e of repo.ExpiredImages)
      console.log(
        `${where}: expired ${e.ImageDigest}${e.ImageTags ? ` (${e.ImageTags.join(', ')})` : ''} by rule ${e.AppliedRulePriority}`,
      );
  }
  const gc = r.GarbageCollection;
  console.log(
    `garbage collection: ${gc.UnlinkedBlobs} unused links removed, ${gc.DeletedBlobs.length} blobs deleted, ${gc.FreedBytes} bytes freed`,
  );
}

/** Runs maintenance in this process on a data directory. */
async function runOnData(dataDir: string, graceMs: number | undefined): Promise<Report> {
  const store = await openSqliteMetadataStore({ dataDir });
  try {
    const blobs = await openFsBlobStore({ dataDir });
    const clock = systemClock;
    const authz = new Authorizer({ store, cache: new PolicyCache(), clock });
    const m = new EcrMaintenance(
      { store, blobs, clock, authz },
      graceMs === undefined ? {} : { gcGraceMs: graceMs },
    );
    return maintenanceOut(await m.run());
  } finally {
    await store.close();
  }
}

/** `crossdock lifecycle ...`. */
export async function lifecycleCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'run') {
    console.error(USAGE);
    return sub === undefined || sub === '--help' ? 0 : 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        endpoint: { type: 'string' },
        data: { type: 'string' },
        'gc-grace': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (e) {
    console.error(`crossdock: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if ((values.endpoint === undefined) === (values.data === undefined)) {
    console.error(`crossdock: give one of --endpoint and --data\n${USAGE}`);
    return 2;
  }
  let graceMs: number | undefined;
  if (values['gc-grace'] !== undefined) {
    if (values.endpoint !== undefined) {
      console.error('crossdock: --gc-grace goes with --data (a server uses its own setting)');
      return 2;
    }
    try {
      graceMs = parseDuration(values['gc-grace']);
    } catch (e) {
      console.error(`crossdock: --gc-grace: ${(e as Error).message}`);
      return 2;
    }
  }
  if (values.data !== undefined && !existsSync(join(values.data, METADATA_DB_FILE))) {
    console.error(`crossdock: no crossdock data in \`${values.data}\` (no ${METADATA_DB_FILE})`);
    return 1;
  }
  try {
    const report =
      values.endpoint !== undefined
        ? ((await callJson(values.endpoint, {
            target: `${CROSSDOCK_TARGET_PREFIX}.RunLifecycle`,
            signingName: 'crossdock',
            body: {},
          })) as unknown as Report)
        : await runOnData(resolve(values.data as string), graceMs);
    print(report, values.json === true);
    return 0;
  } catch (err) {
    if (err instanceof CallError) {
      console.error(`crossdock: ${err.code}: ${err.message}`);
      return 1;
    }
    if (err instanceof Error && /grace period/.test(err.message)) {
      console.error(`crossdock: --gc-grace: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
