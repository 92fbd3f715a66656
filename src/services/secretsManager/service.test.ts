// Secrets Manager against the in-memory store, the real door and policy engine, and an injected
// clock: values sealed before the store sees them, ARNs with their random suffix, versions and
// staging labels, the deletion window, AWS's denial sentence, tag conditions, pagination.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { addAccounts, callerIn, policyDoc as doc, serviceDeps } from '../../../test/helpers/world.js';
import type { Caller } from '../../auth/caller.js';
import { MemoryMetadataStore } from '../../store/meta/memory/MemoryMetadataStore.js';
import { SecretBox } from '../../store/meta/secrets.js';
import type { ServiceDeps } from '../context.js';
import { AccessDeniedError, type ServiceError } from '../errors.js';
import { IamService } from '../iam/index.js';
import { IdFactory } from '../ids.js';
import { readSecretAsService, SecretsManagerService } from './service.js';

const A = '111111111111';
const B = '222222222222';
const REGION = 'us-east-1';
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const VALUE = '{"username":"AWS","accessToken":"s3cr3t-token-value"}';

class World {
  now = T0;
  readonly store = new MemoryMetadataStore();
  readonly deps: ServiceDeps;
  readonly sm: SecretsManagerService;
  readonly iam: IamService;
  private n = 0;

  constructor() {
    this.deps = serviceDeps({
      store: this.store,
      clock: { now: () => this.now },
      ids: new IdFactory({
        // Deterministic random bytes: a hash chain.
        bytes: (k) => {
          const out: Buffer[] = [];
          for (let len = 0; len < k; len += 32)
            out.push(createHash('sha256').update(String(++this.n)).digest());
          return Buffer.concat(out).subarray(0, k);
        },
      }),
      box: SecretBox.fromKey(Buffer.alloc(32, 5)),
    });
    this.sm = new SecretsManagerService(this.deps);
    this.iam = new IamService(this.deps);
  }

  static async create(): Promise<World> {
    const w = new World();
    await addAccounts(w.store, [A, B], T0);
    return w;
  }

  root(accountId = A): Promise<Caller> {
    return callerIn(this.store, accountId, { kind: 'root' }, { secure: true });
  }

  async user(name: string, policy?: string, accountId = A): Promise<Caller> {
    await this.iam.createUser(await this.root(accountId), { UserName: name });
    if (policy !== undefined)
      await this.iam.putUserPolicy(await this.root(accountId), {
        UserName: name,
        PolicyName: 'p',
        PolicyDocument: policy,
      });
    return callerFor(this, name, accountId);
  }
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const got = e instanceof AccessDeniedError ? 'AccessDeniedException' : (e as ServiceError).code;
    assert.equal(got, code, String(e));
    if (message !== undefined) assert.match((e as Error).message, message);
    return true;
  });
}

const TOKEN = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('Secrets Manager', () => {
  test('a secret gets an ARN with a random six-character suffix and answers by name, ARN and partial ARN', async () => {
    const w = await World.create();
    const root = await w.root();
    const made = await w.sm.createSecret(root, {
      Name: 'ecr-pullthroughcache/hub',
      SecretString: VALUE,
      ClientRequestToken: TOKEN(1),
    });
    assert.match(
      made.ARN,
      /^arn:aws:secretsmanager:us-east-1:111111111111:secret:ecr-pullthroughcache\/hub-[A-Za-z0-9]{6}$/,
    );
    assert.equal(made.VersionId, TOKEN(1));
    const partial = `arn:aws:secretsmanager:${REGION}:${A}:secret:ecr-pullthroughcache/hub`;
    for (const id of ['ecr-pullthroughcache/hub', made.ARN, partial]) {
      const got = await w.sm.getSecretValue(root, { SecretId: id });
      assert.equal(got.SecretString, VALUE, id);
      assert.deepEqual(got.VersionStages, ['AWSCURRENT']);
      assert.equal(got.ARN, made.ARN);
    }
    // A secret created again under the same name after deletion is another secret, with another ARN.
    await w.sm.deleteSecret(root, { SecretId: made.ARN, ForceDeleteWithoutRecovery: true });
    const again = await w.sm.createSecret(root, { Name: 'ecr-pullthroughcache/hub', SecretString: VALUE });
    assert.notEqual(again.ARN, made.ARN);
    await rejectsWith(w.sm.getSecretValue(root, { SecretId: made.ARN }), 'ResourceNotFoundException');
  });

  test('the store holds only sealed values, and no error message shows a value', async () => {
    const w = await World.create();
    const made = await w.sm.createSecret(await w.root(), { Name: 's', SecretString: VALUE });
    const stored = await w.store.secrets.getByArn(made.ARN);
    assert.ok(stored !== undefined);
    assert.doesNotMatch(JSON.stringify(stored), /s3cr3t/);
    // A ciphertext moved to another secret cannot be opened there.
    const other = await w.sm.createSecret(await w.root(), { Name: 't', SecretString: 'x' });
    const otherStored = (await w.store.secrets.getByArn(other.ARN))!;
    await w.store.secrets.update(A, REGION, 't', {
      versions: [{ ...otherStored.versions[0]!, value: stored.versions[0]!.value }],
    });
    await rejectsWith(w.sm.getSecretValue(await w.root(), { SecretId: 't' }), 'DecryptionFailure');
    await assert.rejects(
      w.sm.putSecretValue(await w.root(), {
        SecretId: 's',
        ClientRequestToken: made.VersionId,
        SecretString: 'another s3cr3t',
      }),
      (e: unknown) => {
        assert.equal((e as ServiceError).code, 'ResourceExistsException');
        assert.doesNotMatch((e as Error).message, /s3cr3t/);
        return true;
      },
    );
  });

  test('PutSecretValue moves AWSCURRENT, keeps AWSPREVIOUS, and a retried request does nothing', async () => {
    const w = await World.create();
    const root = await w.root();
    await w.sm.createSecret(root, { Name: 's', SecretString: 'one', ClientRequestToken: TOKEN(1) });
    await w.sm.putSecretValue(root, { SecretId: 's', SecretString: 'two', ClientRequestToken: TOKEN(2) });
    await w.sm.putSecretValue(root, { SecretId: 's', SecretString: 'two', ClientRequestToken: TOKEN(2) });
    const d = await w.sm.describeSecret(root, { SecretId: 's' });
    assert.deepEqual(d.VersionIdsToStages, { [TOKEN(2)]: ['AWSCURRENT'], [TOKEN(1)]: ['AWSPREVIOUS'] });
    assert.equal((await w.sm.getSecretValue(root, { SecretId: 's' })).SecretString, 'two');
    const prev = await w.sm.getSecretValue(root, { SecretId: 's', VersionStage: 'AWSPREVIOUS' });
    assert.equal(prev.SecretString, 'one');
    await w.sm.updateSecret(root, { SecretId: 's', SecretString: 'three', ClientRequestToken: TOKEN(3) });
    const after = await w.sm.describeSecret(root, { SecretId: 's' });
    assert.deepEqual(after.VersionIdsToStages, { [TOKEN(3)]: ['AWSCURRENT'], [TOKEN(2)]: ['AWSPREVIOUS'] });
    await rejectsWith(
      w.sm.getSecretValue(root, { SecretId: 's', VersionId: TOKEN(1) }),
      'ResourceNotFoundException',
    );
    await rejectsWith(
      w.sm.createSecret(root, { Name: 'both', SecretString: 'a', SecretBinary: Buffer.from('b') }),
      'InvalidParameterException',
    );
    await rejectsWith(w.sm.createSecret(root, { Name: 's', SecretString: 'x' }), 'ResourceExistsException');
    await rejectsWith(
      w.sm.createSecret(root, { Name: 'bad name!', SecretString: 'x' }),
      'ValidationException',
    );
  });

  test('a secret scheduled for deletion refuses its value until restored, and is gone after its window', async () => {
    const w = await World.create();
    const root = await w.root();
    await w.sm.createSecret(root, { Name: 's', SecretString: VALUE });
    const cases = [
      { input: { RecoveryWindowInDays: 6 }, code: 'InvalidParameterException' },
      { input: { RecoveryWindowInDays: 31 }, code: 'InvalidParameterException' },
      {
        input: { RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true },
        code: 'InvalidParameterException',
      },
    ];
    for (const c of cases) await rejectsWith(w.sm.deleteSecret(root, { SecretId: 's', ...c.input }), c.code);
    const deleted = await w.sm.deleteSecret(root, { SecretId: 's', RecoveryWindowInDays: 7 });
    assert.deepEqual(deleted.DeletionDate, new Date(T0 + 7 * DAY));
    await rejectsWith(
      w.sm.getSecretValue(root, { SecretId: 's' }),
      'InvalidRequestException',
      /marked for deletion/,
    );
    await rejectsWith(
      w.sm.putSecretValue(root, { SecretId: 's', SecretString: 'x' }),
      'InvalidRequestException',
    );
    await rejectsWith(w.sm.createSecret(root, { Name: 's', SecretString: 'x' }), 'InvalidRequestException');
    assert.deepEqual((await w.sm.describeSecret(root, { SecretId: 's' })).DeletedDate, new Date(T0));
    assert.deepEqual((await w.sm.listSecrets(root, {})).SecretList, []);
    assert.equal((await w.sm.listSecrets(root, { IncludePlannedDeletion: true })).SecretList.length, 1);
    await w.sm.restoreSecret(root, { SecretId: 's' });
    assert.equal((await w.sm.getSecretValue(root, { SecretId: 's' })).SecretString, VALUE);
    // The default window is 30 days; once it ends the secret is gone and its name free.
    await w.sm.deleteSecret(root, { SecretId: 's' });
    w.now = T0 + 30 * DAY - 1;
    await rejectsWith(w.sm.getSecretValue(root, { SecretId: 's' }), 'InvalidRequestException');
    w.now = T0 + 30 * DAY;
    await rejectsWith(w.sm.getSecretValue(root, { SecretId: 's' }), 'ResourceNotFoundException');
    await w.sm.createSecret(root, { Name: 's', SecretString: 'new' });
  });

  test("a denial names the principal, the action and the secret's ARN in AWS's words", async () => {
    const w = await World.create();
    const made = await w.sm.createSecret(await w.root(), { Name: 'app/db', SecretString: VALUE });
    const nobody = await w.user('nobody');
    await rejectsWith(
      w.sm.getSecretValue(nobody, { SecretId: 'app/db' }),
      'AccessDeniedException',
      new RegExp(
        `^User: arn:aws:iam::${A}:user/nobody is not authorized to perform: secretsmanager:GetSecretValue on resource: ${made.ARN.replace(/[/.]/g, '\\$&')} because no identity-based policy allows the secretsmanager:GetSecretValue action$`,
      ),
    );
    // A secret that does not exist: denied on the name given, so nothing is learnt about it.
    await rejectsWith(
      w.sm.getSecretValue(nobody, { SecretId: 'app/none' }),
      'AccessDeniedException',
      /on resource: arn:aws:secretsmanager:us-east-1:111111111111:secret:app\/none because/,
    );
    // Allowed on `app/*`: the missing one is reported missing.
    const reader = await w.user(
      'reader',
      doc({
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: `arn:aws:secretsmanager:${REGION}:${A}:secret:app/*`,
      }),
    );
    assert.equal((await w.sm.getSecretValue(reader, { SecretId: 'app/db' })).SecretString, VALUE);
    await rejectsWith(w.sm.getSecretValue(reader, { SecretId: 'app/none' }), 'ResourceNotFoundException');
    await rejectsWith(w.sm.describeSecret(reader, { SecretId: 'app/db' }), 'AccessDeniedException');
    // Another account's root: no resource policy grants it, so the door refuses.
    await rejectsWith(w.sm.getSecretValue(await w.root(B), { SecretId: made.ARN }), 'AccessDeniedException');
  });

  test('tags take part as aws:ResourceTag and secretsmanager:ResourceTag, and request tags as aws:RequestTag', async () => {
    const w = await World.create();
    const root = await w.root();
    await w.sm.createSecret(root, { Name: 'ci', SecretString: 'c', Tags: [{ Key: 'team', Value: 'ci' }] });
    await w.sm.createSecret(root, { Name: 'ops', SecretString: 'o', Tags: [{ Key: 'team', Value: 'ops' }] });
    await w.sm.createSecret(root, { Name: 'none', SecretString: 'n' });
    const byKey = async (name: string, key: string) =>
      w.user(
        name,
        doc([
          {
            Effect: 'Allow',
            Action: [
              'secretsmanager:GetSecretValue',
              'secretsmanager:CreateSecret',
              'secretsmanager:TagResource',
            ],
            Resource: '*',
            Condition: { StringEquals: { [key]: 'ci' } },
          },
        ]),
      );
    for (const key of ['aws:ResourceTag/team', 'secretsmanager:ResourceTag/team']) {
      const u = await byKey(key.startsWith('aws') ? 'aws-tagged' : 'sm-tagged', key);
      assert.equal((await w.sm.getSecretValue(u, { SecretId: 'ci' })).SecretString, 'c', key);
      await rejectsWith(w.sm.getSecretValue(u, { SecretId: 'ops' }), 'AccessDeniedException');
      await rejectsWith(w.sm.getSecretValue(u, { SecretId: 'none' }), 'AccessDeniedException');
    }
    const creator = await byKey('creator', 'aws:RequestTag/team');
    await w.sm.createSecret(creator, {
      Name: 'made',
      SecretString: 'm',
      Tags: [{ Key: 'team', Value: 'ci' }],
    });
    await rejectsWith(
      w.sm.createSecret(creator, { Name: 'made2', SecretString: 'm', Tags: [{ Key: 'team', Value: 'ops' }] }),
      'AccessDeniedException',
    );
    // Tags change what a policy allows: untagging takes the secret out of the tagged user's reach.
    await w.sm.untagResource(root, { SecretId: 'ci', TagKeys: ['team'] });
    await rejectsWith(
      w.sm.getSecretValue(await callerFor(w, 'aws-tagged'), { SecretId: 'ci' }),
      'AccessDeniedException',
    );
    await w.sm.tagResource(root, { SecretId: 'ci', Tags: [{ Key: 'team', Value: 'ci' }] });
    assert.equal(
      (await w.sm.getSecretValue(await callerFor(w, 'aws-tagged'), { SecretId: 'ci' })).SecretString,
      'c',
    );
    await rejectsWith(
      w.sm.tagResource(root, { SecretId: 'ci', Tags: [{ Key: 'aws:x', Value: 'y' }] }),
      'InvalidParameterException',
    );
  });

  test('ListSecrets pages in creation order and filters by prefix', async () => {
    const w = await World.create();
    const root = await w.root();
    for (const [i, name] of [
      'ecr-pullthroughcache/a',
      'app/x',
      'ecr-pullthroughcache/b',
      'app/y',
      'z',
    ].entries()) {
      w.now = T0 + i * 1000;
      await w.sm.createSecret(root, {
        Name: name,
        SecretString: 'v',
        Tags: [{ Key: 'n', Value: String(i) }],
      });
    }
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await w.sm.listSecrets(root, {
        MaxResults: 2,
        ...(token !== undefined && { NextToken: token }),
      });
      assert.ok(page.SecretList.length <= 2);
      names.push(...page.SecretList.map((s) => s.Name));
      token = page.NextToken;
    } while (token !== undefined);
    assert.deepEqual(names, ['ecr-pullthroughcache/a', 'app/x', 'ecr-pullthroughcache/b', 'app/y', 'z']);
    const filtered = await w.sm.listSecrets(root, {
      Filters: [{ Key: 'name', Values: ['ecr-pullthroughcache/'] }],
      SortOrder: 'desc',
    });
    assert.deepEqual(
      filtered.SecretList.map((s) => s.Name),
      ['ecr-pullthroughcache/b', 'ecr-pullthroughcache/a'],
    );
    await rejectsWith(w.sm.listSecrets(root, { NextToken: 'nope' }), 'InvalidNextTokenException');
    await rejectsWith(w.sm.listSecrets(root, { MaxResults: 101 }), 'ValidationException');
    await rejectsWith(w.sm.listSecrets(await w.user('nobody'), {}), 'AccessDeniedException');
  });

  test('a service reads a secret through the door and says why it cannot', async () => {
    const w = await World.create();
    const made = await w.sm.createSecret(await w.root(), {
      Name: 'ecr-pullthroughcache/x',
      SecretString: VALUE,
    });
    const ok = await readSecretAsService(w.deps, await w.root(), made.ARN);
    assert.ok(ok.ok && ok.value.kind === 'string' && ok.value.text === VALUE);
    const cases = [
      { name: 'another account', reader: await w.root(B), arn: made.ARN, failure: 'AccessDenied' },
      {
        name: 'no such secret',
        reader: await w.root(),
        arn: `${made.ARN.slice(0, -6)}zzzzzz`,
        failure: 'NotFound',
      },
    ];
    for (const c of cases) {
      const r = await readSecretAsService(w.deps, c.reader, c.arn);
      assert.equal(r.ok ? 'ok' : r.failure, c.failure, c.name);
    }
    await w.sm.deleteSecret(await w.root(), { SecretId: made.ARN });
    const gone = await readSecretAsService(w.deps, await w.root(), made.ARN);
    assert.equal(gone.ok ? 'ok' : gone.failure, 'MarkedForDeletion');
  });
});

/** The caller of an existing user (its policies are read at each decision). */
async function callerFor(w: World, name: string, accountId = A): Promise<Caller> {
  const user = (await w.store.users.get(accountId, name))!;
  return callerIn(w.store, accountId, { kind: 'user', user }, { secure: true });
}
