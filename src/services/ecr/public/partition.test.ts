// ECR Public's partition: the default registry alias derived from the token key (shape, stability,
// separation between accounts and keys), the action an operation is checked as, and the ARNs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  actionFor,
  defaultRegistryAlias,
  isPublicRegion,
  PUBLIC_READ_ACTIONS,
  PUBLIC_REGION,
  publicRegistryArn,
  publicRepositoryArn,
} from './partition.js';

const A = '111111111111';
const B = '222222222222';
const KEY = Buffer.alloc(32, 9);
const OTHER_KEY = Buffer.alloc(32, 10);

test('an alias is eight lowercase letters and digits and starts with a letter', () => {
  // Many accounts, so that the first-letter rule and the alphabet are both exercised.
  for (let i = 0; i < 500; i++) {
    const account = String(100000000000 + i * 7919);
    const alias = defaultRegistryAlias(KEY, account);
    assert.match(alias, /^[a-z][a-z0-9]{7}$/, `${account} → ${alias}`);
  }
});

test('an alias uses digits somewhere among many accounts (the whole alphabet is reachable)', () => {
  let digits = false;
  for (let i = 0; i < 200 && !digits; i++) digits = /\d/.test(defaultRegistryAlias(KEY, String(1e11 + i)));
  assert.ok(digits);
});

test('an alias is stable for the same key and account', () => {
  assert.equal(defaultRegistryAlias(KEY, A), defaultRegistryAlias(Buffer.alloc(32, 9), A));
});

test('an alias differs for another account and for another key', () => {
  assert.notEqual(defaultRegistryAlias(KEY, A), defaultRegistryAlias(KEY, B));
  assert.notEqual(defaultRegistryAlias(KEY, A), defaultRegistryAlias(OTHER_KEY, A));
});

test('aliases of many accounts do not collide', () => {
  const seen = new Map<string, string>();
  for (let i = 0; i < 2000; i++) {
    const account = String(300000000000 + i);
    const alias = defaultRegistryAlias(KEY, account);
    assert.equal(seen.get(alias), undefined, `${account} and ${seen.get(alias)} share ${alias}`);
    seen.set(alias, account);
  }
});

test('an alias never contains the account id', () => {
  assert.ok(!defaultRegistryAlias(KEY, A).includes(A));
});

test('actionFor maps ecr: actions to ecr-public: on public repositories only', () => {
  const pub = { accountId: A, region: PUBLIC_REGION, name: 'app' };
  const priv = { accountId: A, region: 'us-east-1', name: 'app' };
  const cases: { name: string; ref: typeof pub; action: string; want: string }[] = [
    { name: 'a public push', ref: pub, action: 'ecr:PutImage', want: 'ecr-public:PutImage' },
    {
      name: 'a public create',
      ref: pub,
      action: 'ecr:CreateRepository',
      want: 'ecr-public:CreateRepository',
    },
    { name: 'a private push', ref: priv, action: 'ecr:PutImage', want: 'ecr:PutImage' },
    {
      name: 'a public non-ecr action',
      ref: pub,
      action: 'sts:GetServiceBearerToken',
      want: 'sts:GetServiceBearerToken',
    },
    {
      name: 'an already public action',
      ref: pub,
      action: 'ecr-public:TagResource',
      want: 'ecr-public:TagResource',
    },
    {
      name: 'a region that merely starts with public',
      ref: { ...pub, region: 'public-1' },
      action: 'ecr:PutImage',
      want: 'ecr:PutImage',
    },
  ];
  for (const c of cases) assert.equal(actionFor(c.ref, c.action), c.want, c.name);
});

test('only the public region label is the public partition', () => {
  assert.equal(isPublicRegion(PUBLIC_REGION), true);
  for (const r of ['us-east-1', 'Public', '', 'public ']) assert.equal(isPublicRegion(r), false, r);
});

test('public ARNs have no region', () => {
  assert.equal(publicRepositoryArn(A, 'team/app'), `arn:aws:ecr-public::${A}:repository/team/app`);
  assert.equal(publicRegistryArn(A), `arn:aws:ecr-public::${A}:registry/${A}`);
});

test('the anonymous reads are the pulls, not the pushes', () => {
  for (const a of ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'])
    assert.ok(PUBLIC_READ_ACTIONS.has(a), a);
  for (const a of [
    'ecr:PutImage',
    'ecr:InitiateLayerUpload',
    'ecr:UploadLayerPart',
    'ecr:CompleteLayerUpload',
    'ecr:BatchDeleteImage',
  ])
    assert.ok(!PUBLIC_READ_ACTIONS.has(a), a);
});
