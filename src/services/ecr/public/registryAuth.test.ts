// Who a request to ECR Public's registry comes from: anonymous (no header, empty Basic, an
// anonymous Bearer of the token endpoint), the caller (a Bearer got with an ecr-public password,
// or that password as Basic), or nobody (a private ECR token, a forged or expired Bearer). And the
// token endpoint's lifetimes: one hour, capped by the password's own expiry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addAccessKey,
  addAccounts,
  addRole,
  addUser,
  callerIn,
  ecrDeps,
  policyDoc,
  roleSessionRecord,
} from '../../../../test/helpers/world.js';
import { isAnonymous, type Caller, type RequestInfo, type Requester } from '../../../auth/caller.js';
import { issueRegistryToken } from '../../../auth/tokens.js';
import { MemoryMetadataStore } from '../../../store/meta/memory/MemoryMetadataStore.js';
import type { Role } from '../../../store/meta/records.js';
import { SecretBox } from '../../../store/meta/secrets.js';
import { ServiceError } from '../../errors.js';
import { INVALID_TOKEN_MESSAGE } from '../access.js';
import type { EcrDeps } from '../deps.js';
import { TOKEN_EXPIRED_MESSAGE, VerifiedTokens } from '../registryAuth.js';
import { EcrService } from '../service.js';
import { PUBLIC_REGION } from './partition.js';
import { authenticatePublic, issuePublicBearer, PUBLIC_BEARER_TTL_MS } from './registryAuth.js';
import { EcrPublicService } from './service.js';

const A = '111111111111';
const REGION = 'us-east-1';
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const KEY = Buffer.alloc(32, 9);
const REQUEST: RequestInfo = { sourceIp: '127.0.0.1', secure: false, region: REGION };
const ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['ecr:*', 'ecr-public:*', 'sts:GetServiceBearerToken'], Resource: '*' },
  ],
});

class World {
  now = T0;
  readonly clock = { now: () => this.now };
  readonly store = new MemoryMetadataStore();
  readonly box = SecretBox.fromKey(Buffer.alloc(32, 7));
  readonly deps: EcrDeps = ecrDeps({
    store: this.store,
    clock: this.clock,
    box: this.box,
    registryTokenKey: KEY,
  });
  readonly tokens = new VerifiedTokens();
  readonly publicApi = new EcrPublicService(this.deps);
  readonly ecr = new EcrService(this.deps);

  static async create(): Promise<World> {
    const w = new World();
    await addAccounts(w.store, [A], T0);
    return w;
  }

  /** An IAM user allowed everything ECR, with an access key; the caller signed for `region`. */
  async user(name: string, region = REGION): Promise<Caller> {
    const userId = `AIDA${name.toUpperCase().padEnd(16, 'X')}`;
    const policies = [{ name: 'all', document: ALL }];
    const user = await addUser(this.store, { accountId: A, name, id: userId, at: T0, policies });
    const id = `AKIA${name.toUpperCase().padEnd(16, 'K')}`;
    await addAccessKey(this.store, this.box, { id, accountId: A, userName: name, at: T0, secret: 's' });
    return callerIn(this.store, A, { kind: 'user', user }, { accessKeyId: id, region });
  }

  /** A role session of A ending at `expiresAt`, allowed everything ECR. */
  async roleSession(expiresAt: number): Promise<Caller> {
    const role: Role = await addRole(this.store, {
      accountId: A,
      name: 'pusher',
      id: 'AROAPUSHERXXXXXXXXXX',
      at: T0,
      trust: policyDoc([
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'sts:AssumeRole' },
      ]),
      policies: [{ name: 'all', document: ALL }],
    });
    const session = await this.store.sessions.create(
      roleSessionRecord(role, {
        box: this.box,
        issuedAt: T0,
        expiresAt,
        accessKeyId: 'ASIAPUSHERSESSION000',
      }),
    );
    const identity = { kind: 'role-session', role, session } as const;
    return callerIn(this.store, A, identity, { accessKeyId: session.accessKeyId, region: REQUEST.region });
  }

  /** `Basic base64(AWS:<password>)` from ECR Public's GetAuthorizationToken. */
  async publicBasic(c: Caller): Promise<string> {
    const t = await this.publicApi.getAuthorizationToken(c);
    return `Basic ${t.authorizationData.authorizationToken}`;
  }

  /** `Basic base64(AWS:<password>)` from private ECR's GetAuthorizationToken in `c`'s region. */
  async privateBasic(c: Caller): Promise<string> {
    const t = await this.ecr.getAuthorizationToken(c, {});
    return `Basic ${t.authorizationData[0]!.authorizationToken}`;
  }

  authenticate(authorization: string | undefined): Promise<Requester> {
    return authenticatePublic(this.deps, authorization, REQUEST, this.tokens);
  }

  bearer(authorization: string | undefined) {
    return issuePublicBearer(this.deps, authorization, REQUEST, this.tokens);
  }
}

async function unauthenticated(p: Promise<unknown>, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ServiceError, String(e));
    assert.equal(e.code, 'Unauthenticated', e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

function anonymous(r: Requester): void {
  assert.ok(isAnonymous(r), 'anonymous');
  assert.equal(r.request.region, PUBLIC_REGION);
}

test('no header, a blank header and Basic with empty credentials are anonymous', async () => {
  const w = await World.create();
  for (const h of [undefined, '', '   ', 'Basic Og==', `Basic ${Buffer.from(':').toString('base64')}`]) {
    anonymous(await w.authenticate(h));
  }
});

test('Basic with an empty password but a user name is not anonymous', async () => {
  const w = await World.create();
  await unauthenticated(w.authenticate(`Basic ${Buffer.from('AWS:').toString('base64')}`));
  await unauthenticated(w.authenticate(`Basic ${Buffer.from(':x').toString('base64')}`));
});

test('an anonymous Bearer token of the token endpoint is anonymous', async () => {
  const w = await World.create();
  const t = await w.bearer(undefined);
  assert.equal(t.expiresInSeconds, PUBLIC_BEARER_TTL_MS / 1000);
  assert.equal(t.issuedAt.getTime(), T0);
  anonymous(await w.authenticate(`Bearer ${t.token}`));
  const fromEmpty = await w.bearer('Basic Og==');
  anonymous(await w.authenticate(`Bearer ${fromEmpty.token}`));
});

test('a Bearer got with an ecr-public password is the caller, with the public region', async () => {
  const w = await World.create();
  const dev = await w.user('dev');
  const t = await w.bearer(await w.publicBasic(dev));
  const who = await w.authenticate(`Bearer ${t.token}`);
  assert.ok(!isAnonymous(who));
  assert.equal(who.accessKeyId, dev.accessKeyId);
  assert.equal(who.principal.arn, `arn:aws:iam::${A}:user/dev`);
  assert.equal(who.request.region, PUBLIC_REGION);
});

test('the ecr-public password itself, as Basic, is the caller', async () => {
  const w = await World.create();
  const dev = await w.user('dev');
  const who = await w.authenticate(await w.publicBasic(dev));
  assert.ok(!isAnonymous(who));
  assert.equal(who.accessKeyId, dev.accessKeyId);
  assert.equal(who.request.region, PUBLIC_REGION);
});

test('a private ECR token is refused on the public registry and at its token endpoint', async () => {
  const w = await World.create();
  const dev = await w.user('dev');
  const basic = await w.privateBasic(dev);
  await unauthenticated(w.authenticate(basic), /not for ECR Public/);
  await unauthenticated(w.bearer(basic), /not for ECR Public/);
  // Its password presented as a Bearer token is no better.
  const password = Buffer.from(basic.slice('Basic '.length), 'base64').toString('utf8').slice('AWS:'.length);
  await unauthenticated(w.authenticate(`Bearer ${password}`), /not for ECR Public/);
});

test('a token issued without a region (an old private token) is refused on the public registry', async () => {
  const w = await World.create();
  const dev = await w.user('dev');
  const password = issueRegistryToken(KEY, {
    accessKeyId: dev.accessKeyId,
    registryId: A,
    issuedAt: T0,
    expiresAt: T0 + 3600_000,
  });
  await unauthenticated(w.authenticate(`Basic ${Buffer.from(`AWS:${password}`).toString('base64')}`));
  await unauthenticated(w.authenticate(`Bearer ${password}`));
});

test('a forged or malformed Bearer is refused with the generic sentence', async () => {
  const w = await World.create();
  const dev = await w.user('dev');
  const good = (await w.bearer(await w.publicBasic(dev))).token;
  const forgedKey = issueRegistryToken(Buffer.alloc(32, 1), {
    accessKeyId: dev.accessKeyId,
    registryId: 'public',
    region: PUBLIC_REGION,
    issuedAt: T0,
    expiresAt: T0 + 3600_000,
  });
  const [prefix, payload, mac] = good.split('.') as [string, string, string];
  const otherPayload = Buffer.from(
    JSON.stringify({
      k: 'AKIAOTHERXXXXXXXXXXX',
      r: 'public',
      g: PUBLIC_REGION,
      iat: T0 / 1000,
      exp: T0 / 1000 + 3600,
    }),
  ).toString('base64url');
  for (const token of [
    forgedKey,
    `${prefix}.${otherPayload}.${mac}`,
    `${prefix}.${payload}.${mac.slice(0, -2)}AA`,
    'not-a-token',
    `${prefix}.${payload}`,
  ]) {
    await unauthenticated(w.authenticate(`Bearer ${token}`), INVALID_TOKEN_MESSAGE);
  }
});

test('an expired Bearer is refused with the expiry sentence', async () => {
  const w = await World.create();
  const anon = await w.bearer(undefined);
  w.now = T0 + PUBLIC_BEARER_TTL_MS;
  await unauthenticated(w.authenticate(`Bearer ${anon.token}`), TOKEN_EXPIRED_MESSAGE);
  const expired = issueRegistryToken(KEY, {
    accessKeyId: '',
    registryId: 'public',
    region: PUBLIC_REGION,
    issuedAt: T0 - 7200_000,
    expiresAt: T0 - 1000,
  });
  w.now = T0;
  await unauthenticated(w.authenticate(`Bearer ${expired}`), TOKEN_EXPIRED_MESSAGE);
});

test('a caller Bearer dies with the access key it stands for', async () => {
  const w = await World.create();
  const dev = await w.user('dev');
  const t = await w.bearer(await w.publicBasic(dev));
  await w.store.accessKeys.update(dev.accessKeyId, { status: 'Inactive' });
  await unauthenticated(w.authenticate(`Bearer ${t.token}`), INVALID_TOKEN_MESSAGE);
});

test('the token endpoint refuses a Bearer header and a bad password', async () => {
  const w = await World.create();
  const anon = await w.bearer(undefined);
  await unauthenticated(w.bearer(`Bearer ${anon.token}`));
  await unauthenticated(
    w.bearer(`Basic ${Buffer.from('AWS:nonsense').toString('base64')}`),
    INVALID_TOKEN_MESSAGE,
  );
});

test('a caller Bearer expires with the password it was got with when that comes first', async () => {
  const w = await World.create();
  const dev = await w.user('dev');
  const password = issueRegistryToken(KEY, {
    accessKeyId: dev.accessKeyId,
    registryId: A,
    region: PUBLIC_REGION,
    issuedAt: T0 - 60_000,
    expiresAt: T0 + 600_000,
  });
  const t = await w.bearer(`Basic ${Buffer.from(`AWS:${password}`).toString('base64')}`);
  assert.equal(t.expiresInSeconds, 600);
  w.now = T0 + 599_000;
  assert.ok(!isAnonymous(await w.authenticate(`Bearer ${t.token}`)));
  w.now = T0 + 600_000;
  await unauthenticated(w.authenticate(`Bearer ${t.token}`), TOKEN_EXPIRED_MESSAGE);
});

test('a role session password caps the Bearer at the session end, and a long one at one hour', async () => {
  const w = await World.create();
  const session = await w.roleSession(T0 + 30 * 60_000);
  const short = await w.bearer(await w.publicBasic(session));
  assert.equal(short.expiresInSeconds, 30 * 60);
  const dev = await w.user('dev');
  const long = await w.bearer(await w.publicBasic(dev));
  assert.equal(long.expiresInSeconds, PUBLIC_BEARER_TTL_MS / 1000);
});

test('an expired ecr-public password is refused at the token endpoint with the expiry sentence', async () => {
  const w = await World.create();
  const dev = await w.user('dev');
  const basic = await w.publicBasic(dev);
  w.now = T0 + 12 * 3600_000;
  await unauthenticated(w.bearer(basic), TOKEN_EXPIRED_MESSAGE);
  await unauthenticated(w.authenticate(basic), TOKEN_EXPIRED_MESSAGE);
});
