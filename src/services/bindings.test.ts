import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Caller } from '../auth/caller.js';
import { MemoryMetadataStore } from '../store/meta/memory/MemoryMetadataStore.js';
import type { Role, User } from '../store/meta/records.js';
import { boundForCaller, presentBound, uniqueIdOf } from './bindings.js';

const A = '111111111111';
const B = '222222222222';
const T0 = new Date('2026-01-01T00:00:00Z');
const ROLE_ARN = `arn:aws:iam::${B}:role/ci/deployer`;
const USER_ARN = `arn:aws:iam::${B}:user/alice`;

const role = (id: string): Role => ({
  accountId: B,
  name: 'deployer',
  path: '/ci/',
  id,
  createdAt: T0,
  assumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}',
  maxSessionDuration: 3600,
  tags: [],
});
const user = (id: string): User => ({ accountId: B, name: 'alice', path: '/', id, createdAt: T0, tags: [] });

/** Only `identity` is read by the bindings. */
const sessionOf = (r: Role): Caller => ({ identity: { kind: 'role-session', role: r } }) as unknown as Caller;
const userCaller = (u: User): Caller => ({ identity: { kind: 'user', user: u } }) as unknown as Caller;
const rootCaller = { identity: { kind: 'root' } } as unknown as Caller;

const POLICY = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'pull',
        Effect: 'Allow',
        Principal: { AWS: [ROLE_ARN, `arn:aws:iam::${A}:root`] },
        Action: 'ecr:*',
      },
      { Effect: 'Deny', NotPrincipal: { AWS: USER_ARN }, Action: 'ecr:DeleteRepository' },
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 'ecr:BatchGetImage',
        Condition: { ArnEquals: { 'aws:PrincipalArn': ROLE_ARN } },
      },
    ],
  },
  null,
  2,
);

test('uniqueIdOf finds users and roles by their exact ARN only', async () => {
  const store = new MemoryMetadataStore();
  await store.roles.create(role('AROAOLD'));
  await store.users.create(user('AIDAALICE'));
  const cases = [
    { value: ROLE_ARN, id: 'AROAOLD' },
    { value: USER_ARN, id: 'AIDAALICE' },
    { value: `arn:aws:iam::${B}:role/deployer`, id: undefined, why: 'the path is part of the ARN' },
    { value: `arn:aws:iam::${B}:user/Alice`, id: undefined, why: 'so is the case' },
    { value: `arn:aws:iam::${A}:root`, id: undefined },
    { value: '*', id: undefined },
  ];
  for (const c of cases) assert.equal(await uniqueIdOf(store, c.value), c.id, c.value);
});

test('a decision sees the text unchanged unless the caller replaced a bound user or role', () => {
  const bindings = { [ROLE_ARN]: 'AROAOLD', [USER_ARN]: 'AIDAALICE' };
  const cases = [
    { name: 'the bound role itself', caller: sessionOf(role('AROAOLD')), changed: false },
    { name: 'the bound user itself', caller: userCaller(user('AIDAALICE')), changed: false },
    { name: 'an account root', caller: rootCaller, changed: false },
    { name: 'no bindings at all', caller: sessionOf(role('AROANEW')), changed: false, bindings: undefined },
  ];
  for (const c of cases) {
    const b = 'bindings' in c ? c.bindings : bindings;
    assert.equal(boundForCaller(POLICY, b, c.caller), POLICY, c.name);
  }
  const replaced = JSON.parse(boundForCaller(POLICY, bindings, sessionOf(role('AROANEW'))));
  assert.deepEqual(replaced.Statement[0].Principal.AWS, ['AROAOLD', `arn:aws:iam::${A}:root`]);
  assert.equal(replaced.Statement[1].NotPrincipal.AWS, USER_ARN, 'other principals stay');
  assert.deepEqual(
    replaced.Statement[2].Condition,
    { ArnEquals: { 'aws:PrincipalArn': ROLE_ARN } },
    'conditions compare ARNs as written, as AWS does',
  );
  const newUser = JSON.parse(boundForCaller(POLICY, bindings, userCaller(user('AIDABOB'))));
  assert.equal(newUser.Statement[1].NotPrincipal.AWS, 'AIDAALICE');
});

test('reading back shows a deleted or replaced principal by the id it was bound to', async () => {
  const store = new MemoryMetadataStore();
  await store.roles.create(role('AROAOLD'));
  await store.users.create(user('AIDAALICE'));
  const bindings = { [ROLE_ARN]: 'AROAOLD', [USER_ARN]: 'AIDAALICE' };
  assert.equal(await presentBound(store, POLICY, bindings), POLICY, 'the very text while bindings hold');
  await store.roles.delete(B, 'deployer');
  const gone = JSON.parse(await presentBound(store, POLICY, bindings));
  assert.deepEqual(gone.Statement[0].Principal.AWS, ['AROAOLD', `arn:aws:iam::${A}:root`]);
  assert.equal(gone.Statement[1].NotPrincipal.AWS, USER_ARN);
  await store.roles.create(role('AROANEW'));
  const again = JSON.parse(await presentBound(store, POLICY, bindings));
  assert.deepEqual(again.Statement[0].Principal.AWS[0], 'AROAOLD', 'a new role of the same name is not it');
});
