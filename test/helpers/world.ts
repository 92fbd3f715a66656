// The world the service-level tests build below HTTP: an in-memory (or given) metadata store, an
// injected clock, deterministic ids, a SecretBox, the real door (Authorizer and PolicyCache), and
// accounts, users, roles and sessions written straight to the store, with callers for them. Each
// test keeps its own World class (what it exposes differs); these functions are the parts they share.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { principalOf, type Caller, type CallerIdentity } from '../../src/auth/caller.js';
import { issueRegistryToken } from '../../src/auth/tokens.js';
import { PolicyCache } from '../../src/iam/index.js';
import { createRegistryHandler, isRegistryPath } from '../../src/registry/index.js';
import type { BlobStorage } from '../../src/store/blobs/BlobStore.js';
import { createMemoryBlobStore } from '../../src/store/blobs/memory/MemoryBlobStore.js';
import type { MetadataStore } from '../../src/store/meta/MetadataStore.js';
import { MemoryMetadataStore } from '../../src/store/meta/memory/MemoryMetadataStore.js';
import type { Account, Role, StsSession, Tag, User } from '../../src/store/meta/records.js';
import { SecretBox } from '../../src/store/meta/secrets.js';
import { Authorizer } from '../../src/services/authz.js';
import type { ServiceDeps } from '../../src/services/context.js';
import type { RegistryAddressing } from '../../src/services/ecr/addressing.js';
import type { EcrDeps } from '../../src/services/ecr/deps.js';
import type { RegistryBackend } from '../../src/services/ecr/registry.js';
import { IdFactory } from '../../src/services/ids.js';
import type { Clock, Random } from '../../src/services/runtime.js';

/** The region every service test runs in unless it says otherwise. */
export const TEST_REGION = 'us-east-1';

/** Path-style registry names on `127.0.0.1:5000`, as the server writes them by default. */
export const PATH_STYLE: RegistryAddressing = {
  style: 'path',
  scheme: 'http',
  authority: '127.0.0.1:5000',
  domain: 'localhost',
  port: '',
  defaultRegion: TEST_REGION,
};

// ---- policy documents ------------------------------------------------------------------------

/** A policy document of `statement` (one or a list), so tests write only the statements. */
export function policyDoc(statement: object | object[], version = '2012-10-17'): string {
  return JSON.stringify({ Version: version, Statement: statement });
}

/** One Allow statement's document: the identity policy most cases give a user. */
export function allowDoc(
  action: string | string[],
  resource: string | string[] = '*',
  condition?: object,
): string {
  return policyDoc([
    { Effect: 'Allow', Action: action, Resource: resource, ...(condition && { Condition: condition }) },
  ]);
}

// ---- store, ids and dependencies ---------------------------------------------------------------

/** Random bytes that are all `fill`: ids that never change between runs. */
export function fixedRandom(fill = 1): Random {
  return { bytes: (n) => Buffer.alloc(n, fill) };
}

/** Random bytes from a SHA-256 chain of `seed`: distinct ids that never change between runs. */
export function seededRandom(seed: string): Random {
  let counter = 0;
  return {
    bytes(n: number): Buffer {
      const out: Buffer[] = [];
      let have = 0;
      while (have < n) {
        const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
        out.push(block);
        have += block.length;
      }
      return Buffer.concat(out).subarray(0, n);
    },
  };
}

/** What a test may choose of the world's dependencies; the rest are the usual fixed ones. */
export interface DepsOptions {
  readonly store?: MetadataStore;
  readonly clock: Clock;
  readonly ids?: IdFactory;
  readonly box?: SecretBox;
  readonly cache?: PolicyCache;
  readonly region?: string;
}

/** Every service's dependencies over the real door: so each test decides as the server does. */
export function serviceDeps(opts: DepsOptions): ServiceDeps {
  const store = opts.store ?? new MemoryMetadataStore();
  const cache = opts.cache ?? new PolicyCache();
  return {
    store,
    authz: new Authorizer({ store, cache, clock: opts.clock }),
    clock: opts.clock,
    ids: opts.ids ?? new IdFactory(fixedRandom(1)),
    box: opts.box ?? SecretBox.fromKey(Buffer.alloc(32, 3)),
    cache,
    region: opts.region ?? TEST_REGION,
  };
}

/** ECR's dependencies: the service ones plus in-memory blobs, a token key and path-style names. */
export function ecrDeps(
  opts: DepsOptions & {
    readonly blobs?: BlobStorage;
    readonly registryTokenKey?: Uint8Array;
    readonly addressing?: RegistryAddressing;
  },
): EcrDeps {
  const region = opts.region ?? TEST_REGION;
  return {
    ...serviceDeps(opts),
    blobs: opts.blobs ?? createMemoryBlobStore(),
    registryTokenKey: opts.registryTokenKey ?? Buffer.alloc(32, 7),
    addressing: opts.addressing ?? { ...PATH_STYLE, defaultRegion: region },
  };
}

// ---- accounts and callers ----------------------------------------------------------------------

/** Creates active accounts `acct-<id>` joined at `at`, as an organization's CreateAccount would. */
export async function addAccounts(
  store: MetadataStore,
  ids: readonly string[],
  at: number | Date,
): Promise<Account[]> {
  const made: Account[] = [];
  for (const id of ids) {
    made.push(
      await store.accounts.create({
        id,
        name: `acct-${id}`,
        email: `${id}@example.com`,
        status: 'ACTIVE',
        joinedMethod: 'CREATED',
        joinedAt: new Date(at),
      }),
    );
  }
  return made;
}

/** How a caller's request arrived: its key id, its SigV4 region and whether it was TLS. */
export interface CallerOptions {
  readonly accessKeyId?: string;
  readonly region?: string;
  readonly secure?: boolean;
}

/** The caller the authenticator would build for `identity` of `account`. */
export function callerOf(account: Account, identity: CallerIdentity, opts: CallerOptions = {}): Caller {
  return {
    principal: principalOf(account, identity),
    account,
    accessKeyId: opts.accessKeyId ?? 'AKIATESTTESTTESTTEST',
    identity,
    request: { sourceIp: '127.0.0.1', secure: opts.secure ?? false, region: opts.region ?? TEST_REGION },
  };
}

/** `callerOf` for an account read from the store (which must hold it). */
export async function callerIn(
  store: MetadataStore,
  accountId: string,
  identity: CallerIdentity,
  opts: CallerOptions = {},
): Promise<Caller> {
  const account = await store.accounts.get(accountId);
  if (account === undefined) throw new Error(`no account \`${accountId}\` in the test store`);
  return callerOf(account, identity, opts);
}

// ---- users, roles, keys and sessions -----------------------------------------------------------

/** Inline policies: a bare document is named `p<index>`. */
export type InlinePolicies = readonly (string | { readonly name: string; readonly document: string })[];

/** Puts inline policies on a user or a role. */
export async function putInlinePolicies(
  store: MetadataStore,
  owner: { readonly kind: 'user' | 'role'; readonly accountId: string; readonly name: string },
  policies: InlinePolicies,
): Promise<void> {
  for (const [i, p] of policies.entries()) {
    await store.inlinePolicies.put(owner, typeof p === 'string' ? { name: `p${i}`, document: p } : p);
  }
}

/** Writes an IAM user (path `/`) and its inline policies straight to the store. */
export async function addUser(
  store: MetadataStore,
  u: {
    readonly accountId: string;
    readonly name: string;
    readonly id: string;
    readonly at: number | Date;
    readonly policies?: InlinePolicies;
    readonly tags?: Tag[];
  },
): Promise<User> {
  const user = await store.users.create({
    accountId: u.accountId,
    name: u.name,
    path: '/',
    id: u.id,
    createdAt: new Date(u.at),
    tags: u.tags ?? [],
  });
  await putInlinePolicies(store, { kind: 'user', accountId: u.accountId, name: u.name }, u.policies ?? []);
  return user;
}

/** Writes an IAM role with its trust policy and inline policies straight to the store. */
export async function addRole(
  store: MetadataStore,
  r: {
    readonly accountId: string;
    readonly name: string;
    readonly id: string;
    readonly at: number | Date;
    readonly trust: string;
    readonly policies?: InlinePolicies;
    readonly path?: string;
    readonly maxSessionDuration?: number;
    readonly tags?: Tag[];
  },
): Promise<Role> {
  const role = await store.roles.create({
    accountId: r.accountId,
    name: r.name,
    path: r.path ?? '/',
    id: r.id,
    createdAt: new Date(r.at),
    assumeRolePolicyDocument: r.trust,
    maxSessionDuration: r.maxSessionDuration ?? 3600,
    tags: r.tags ?? [],
  });
  await putInlinePolicies(store, { kind: 'role', accountId: r.accountId, name: r.name }, r.policies ?? []);
  return role;
}

/** Gives a user an active access key whose secret is sealed with `box`, as CreateAccessKey does. */
export async function addAccessKey(
  store: MetadataStore,
  box: SecretBox,
  k: {
    readonly id: string;
    readonly accountId: string;
    readonly userName: string;
    readonly at: number | Date;
    readonly secret?: string;
  },
): Promise<void> {
  await store.accessKeys.create({
    id: k.id,
    accountId: k.accountId,
    userName: k.userName,
    status: 'Active',
    secret: box.seal(k.secret ?? 'secret', k.id),
    createdAt: new Date(k.at),
  });
}

/** The record of an AssumeRole session of `role` (not stored: a caller needs only the record). */
export function roleSessionRecord(
  role: Role,
  s: {
    readonly box: SecretBox;
    readonly issuedAt: number | Date;
    readonly expiresAt: number | Date;
    readonly accessKeyId?: string;
    readonly sessionName?: string;
  },
): StsSession {
  const accessKeyId = s.accessKeyId ?? 'ASIATESTTESTTESTTEST';
  return {
    accessKeyId,
    secret: s.box.seal('x', accessKeyId),
    sessionTokenHash: '00',
    accountId: role.accountId,
    principal: {
      type: 'AssumedRole',
      roleId: role.id,
      roleName: role.name,
      sessionName: s.sessionName ?? 's',
    },
    issuedAt: new Date(s.issuedAt),
    expiresAt: new Date(s.expiresAt),
    sessionPolicyArns: [],
    tags: [],
    transitiveTagKeys: [],
    chained: false,
  };
}

// ---- the registry ------------------------------------------------------------------------------

/** `Basic base64(AWS:<registry token>)`, the header `docker login` sends with an ECR password. */
export function registryBasic(
  key: Uint8Array,
  t: {
    readonly accessKeyId: string;
    readonly registryId: string;
    readonly issuedAt: number;
    readonly expiresAt: number;
    readonly region?: string;
  },
): string {
  const token = issueRegistryToken(key, {
    accessKeyId: t.accessKeyId,
    registryId: t.registryId,
    ...(t.region !== undefined && { region: t.region }),
    issuedAt: t.issuedAt,
    expiresAt: t.expiresAt,
  });
  return `Basic ${Buffer.from(`AWS:${token}`).toString('base64')}`;
}

/** A registry on a free port of 127.0.0.1 (404 outside `/v2`), for real clients in integ tests. */
export interface ServedRegistry {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves the OCI registry layer over `backend` on 127.0.0.1, as the server mounts it. */
export async function serveRegistry(
  backend: RegistryBackend,
  opts: { readonly defaultRegion?: string; readonly hostDomain?: string } = {},
): Promise<ServedRegistry> {
  const handler = createRegistryHandler({
    backend,
    defaultRegion: opts.defaultRegion ?? TEST_REGION,
    ...(opts.hostDomain !== undefined && { hostDomain: opts.hostDomain }),
    log: { error() {} },
  });
  const server = createServer((req, res) => {
    if (isRegistryPath((req.url ?? '/').split('?')[0]!)) void handler(req, res);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
