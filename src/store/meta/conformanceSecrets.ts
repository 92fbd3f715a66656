/**
 * The Secrets Manager cases of the one `MetadataStore` conformance suite, registered by
 * `runMetadataStoreSuite` so every driver runs them unchanged: secrets keyed by (account, region,
 * name) and by ARN, versions with sealed values, patches that clear, scheduled deletion, paging.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { drain, rejectsWith, type WithStore } from './conformanceKit.js';
import type { AlreadyExists } from './errors.js';
import type { Secret, SecretVersion } from './records.js';
import { SecretBox } from './secrets.js';

const A = '111111111111';
const B = '222222222222';
const R = 'us-east-1';
const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-02T00:00:00.123Z');
const box = SecretBox.fromKey(new Uint8Array(32).fill(9));

const arnOf = (accountId: string, name: string, suffix = 'AbC123', region = R) =>
  `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix}`;

const version = (id: string, text: string, stages: string[] = ['AWSCURRENT']): SecretVersion => ({
  id,
  stages,
  kind: 'string',
  value: box.seal(text, id),
  createdAt: T0,
});

const secret = (name: string, over: Partial<Secret> = {}): Secret => ({
  accountId: A,
  region: R,
  name,
  arn: arnOf(A, name),
  tags: [],
  versions: [version('00000000-0000-4000-8000-000000000001', '{"username":"u","accessToken":"t"}')],
  createdAt: T0,
  lastChangedAt: T0,
  ...over,
});

/** Registers the secrets cases with the suite's per-case store factory. */
export function registerSecretsCases(withStore: WithStore): void {
  describe('secrets', () => {
    withStore('a secret is created and read back by name and by ARN, its value still sealed', async (s) => {
      const x = secret('ecr-pullthroughcache/hub', {
        description: 'hub token',
        tags: [
          { key: 'team', value: 'ci' },
          { key: 'a', value: '' },
        ],
      });
      assert.deepEqual(await s.secrets.create(x), x);
      assert.deepEqual(await s.secrets.get(A, R, 'ecr-pullthroughcache/hub'), x);
      assert.deepEqual(await s.secrets.getByArn(x.arn), x);
      const got = (await s.secrets.get(A, R, 'ecr-pullthroughcache/hub'))!;
      assert.equal(
        box.unseal(got.versions[0]!.value, got.versions[0]!.id),
        '{"username":"u","accessToken":"t"}',
      );
      assert.equal(await s.secrets.get(A, 'us-west-2', 'ecr-pullthroughcache/hub'), undefined);
      assert.equal(await s.secrets.get(B, R, 'ecr-pullthroughcache/hub'), undefined);
      assert.equal(await s.secrets.get(A, R, 'ECR-PULLTHROUGHCACHE/HUB'), undefined, 'names compare exactly');
      assert.equal(await s.secrets.getByArn(arnOf(A, 'ecr-pullthroughcache/hub', 'zzzzzz')), undefined);
    });

    withStore('a name is unique per account and region, an ARN store-wide', async (s) => {
      await s.secrets.create(secret('n'));
      await rejectsWith(
        s.secrets.create(secret('n', { arn: arnOf(A, 'n', 'OtHeR1') })),
        'AlreadyExists',
        (e) => (e as AlreadyExists).field === 'name',
      );
      await rejectsWith(
        s.secrets.create(secret('m', { arn: arnOf(A, 'n') })),
        'AlreadyExists',
        (e) => (e as AlreadyExists).field === 'arn',
      );
      await s.secrets.create(secret('n', { accountId: B, arn: arnOf(B, 'n') }));
      await s.secrets.create(secret('n', { region: 'eu-west-1', arn: arnOf(A, 'n', 'AbC123', 'eu-west-1') }));
      assert.equal((await s.secrets.list(A, R)).items.length, 1);
    });

    withStore(
      'a patch replaces versions and tags, clears the description and schedules deletion',
      async (s) => {
        await s.secrets.create(secret('p', { description: 'd' }));
        const v1 = { ...version('00000000-0000-4000-8000-000000000001', 'old'), stages: ['AWSPREVIOUS'] };
        const v2 = version('00000000-0000-4000-8000-000000000002', 'new');
        const changed = await s.secrets.update(A, R, 'p', {
          versions: [v2, v1],
          tags: [{ key: 'k', value: 'v' }],
          description: null,
          lastChangedAt: T1,
        });
        assert.equal(changed.description, undefined);
        assert.deepEqual(
          changed.versions.map((v) => [v.id, v.stages]),
          [
            [v2.id, ['AWSCURRENT']],
            [v1.id, ['AWSPREVIOUS']],
          ],
        );
        assert.equal(box.unseal(changed.versions[0]!.value, v2.id), 'new');
        assert.deepEqual(changed.lastChangedAt, T1);
        const deletion = new Date(T1.getTime() + 7 * 86_400_000);
        const scheduled = await s.secrets.update(A, R, 'p', { deletedAt: T1, deletionDate: deletion });
        assert.deepEqual([scheduled.deletedAt, scheduled.deletionDate], [T1, deletion]);
        assert.deepEqual(await s.secrets.get(A, R, 'p'), scheduled);
        const restored = await s.secrets.update(A, R, 'p', { deletedAt: null, deletionDate: null });
        assert.equal('deletedAt' in restored, false);
        assert.equal('deletionDate' in restored, false);
        assert.deepEqual(restored.tags, [{ key: 'k', value: 'v' }]);
        await rejectsWith(s.secrets.update(A, R, 'nope', { description: 'x' }), 'NotFound');
      },
    );

    withStore('a deleted secret is gone and its name free again', async (s) => {
      await s.secrets.create(secret('d'));
      await s.secrets.delete(A, R, 'd');
      assert.equal(await s.secrets.get(A, R, 'd'), undefined);
      await rejectsWith(s.secrets.delete(A, R, 'd'), 'NotFound');
      await s.secrets.create(secret('d', { arn: arnOf(A, 'd', 'NeW456') }));
      assert.equal((await s.secrets.get(A, R, 'd'))?.arn, arnOf(A, 'd', 'NeW456'));
    });

    withStore('secrets are listed by name in byte order, page by page', async (s) => {
      const names = ['b', 'a/x', 'B', 'ecr-pullthroughcache/z', 'a', 'é'];
      for (const [i, n] of names.entries())
        await s.secrets.create(secret(n, { arn: arnOf(A, n, `Abc00${i}`) }));
      await s.secrets.create(secret('other', { accountId: B, arn: arnOf(B, 'other') }));
      const all = await drain(
        (marker) => s.secrets.list(A, R, { maxItems: 2, ...(marker && { marker }) }),
        2,
      );
      assert.deepEqual(
        all.map((x) => x.name),
        ['B', 'a', 'a/x', 'b', 'ecr-pullthroughcache/z', 'é'],
      );
      await rejectsWith(s.secrets.list(A, R, { marker: 'garbage' }), 'InvalidMarker');
    });

    withStore(
      'secrets with their versions and a scheduled deletion survive close and reopen',
      async (s0, h, t) => {
        if (h.reopen === undefined) {
          t.skip('this driver keeps nothing across close, so there is nothing to reopen');
          return;
        }
        const x = await s0.secrets.create(
          secret('kept', {
            description: 'd',
            tags: [{ key: 'k', value: 'v' }],
            deletedAt: T1,
            deletionDate: T1,
          }),
        );
        const s = await h.reopen();
        assert.deepEqual(await s.secrets.get(A, R, 'kept'), x);
        assert.equal(
          box.unseal(x.versions[0]!.value, x.versions[0]!.id),
          '{"username":"u","accessToken":"t"}',
        );
      },
    );

    withStore('a transaction that throws leaves no secret behind', async (s) => {
      await assert.rejects(
        s.transaction(async (tx) => {
          await tx.secrets.create(secret('t'));
          throw new Error('boom');
        }),
      );
      assert.equal(await s.secrets.get(A, R, 't'), undefined);
    });
  });
}
