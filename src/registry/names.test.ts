import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OciError } from './errors.js';
import { hostRegistry, isRepositoryName, regionHint, requireReference, resolveName } from './names.js';

const A = '111111111111';

test('repository names follow the OCI grammar', () => {
  const cases: { name: string; ok: boolean }[] = [
    { name: `${A}/app`, ok: true },
    { name: `${A}/team/sub/app`, ok: true },
    { name: `${A}.eu-west-1/a.b_c__d--e`, ok: true },
    { name: `${A}/App`, ok: false },
    { name: `${A}/../x`, ok: false },
    { name: `${A}/./x`, ok: false },
    { name: `${A}//x`, ok: false },
    { name: `${A}/%2e%2e/x`, ok: false },
    { name: `${A}/x/`, ok: false },
    { name: `${A}/-x`, ok: false },
    { name: `${A}/x_`, ok: false },
    { name: `${A}/a___b`, ok: false },
    { name: '', ok: false },
    { name: `${A}/${'a'.repeat(300)}`, ok: false },
  ];
  for (const c of cases) assert.equal(isRepositoryName(c.name), c.ok, c.name);
});

test('a path-style name picks the registry from its first component', () => {
  const cases = [
    { path: `${A}/app`, repo: { accountId: A, region: 'us-east-1', name: 'app' } },
    { path: `${A}.eu-west-1/team/app`, repo: { accountId: A, region: 'eu-west-1', name: 'team/app' } },
    { path: `${A}.us-gov-west-1/app`, repo: { accountId: A, region: 'us-gov-west-1', name: 'app' } },
  ];
  for (const c of cases) {
    const a = resolveName(c.path, undefined, 'us-east-1');
    assert.deepEqual(a.repo, c.repo);
    assert.equal(a.base, `/v2/${c.path}`);
  }
});

test('a path-style name without a 12-digit registry id is NAME_INVALID', () => {
  for (const path of ['app', 'library/ubuntu', '12345/app', `${A}.nowhere/app`, `${A}`, `${A}/UP`]) {
    assert.throws(
      () => resolveName(path, undefined, 'us-east-1'),
      (e: unknown) => e instanceof OciError && e.code === 'NAME_INVALID',
      path,
    );
  }
});

test('a host-style Host names the registry and the whole path name is the repository', () => {
  const cases = [
    {
      host: `${A}.dkr.ecr.eu-west-1.localhost:5000`,
      domain: 'localhost',
      want: { accountId: A, region: 'eu-west-1' },
    },
    {
      host: `${A}.DKR.ECR.us-east-1.LOCALHOST`,
      domain: 'localhost',
      want: { accountId: A, region: 'us-east-1' },
    },
    {
      host: `${A}.dkr.ecr.us-east-1.ecr.example.com`,
      domain: 'ecr.example.com',
      want: { accountId: A, region: 'us-east-1' },
    },
    { host: `${A}.dkr.ecr.us-east-1.localhost`, domain: 'example.com', want: undefined },
    { host: '127.0.0.1:5000', domain: 'localhost', want: undefined },
    { host: `evil.${A}.dkr.ecr.us-east-1.localhost`, domain: 'localhost', want: undefined },
  ];
  for (const c of cases) assert.deepEqual(hostRegistry(c.host, c.domain), c.want, c.host);
  const a = resolveName('team/app', { accountId: A, region: 'eu-west-1' }, 'us-east-1');
  assert.deepEqual(a.repo, { accountId: A, region: 'eu-west-1', name: 'team/app' });
  assert.equal(a.base, '/v2/team/app');
});

test('the region hint reads `<account>.<region>` before validation, else the default', () => {
  assert.equal(regionHint(`${A}.ap-south-1/app`, 'us-east-1'), 'ap-south-1');
  assert.equal(regionHint(`${A}/app`, 'us-east-1'), 'us-east-1');
  assert.equal(regionHint(undefined, 'us-east-1'), 'us-east-1');
  assert.equal(regionHint('../../etc', 'us-east-1'), 'us-east-1');
});

test('a reference is a tag or a digest, and each has its own error code', () => {
  const cases: { ref: string; code?: string }[] = [
    { ref: 'latest' },
    { ref: '_v1.2-rc' },
    { ref: `sha256:${'a'.repeat(64)}` },
    { ref: `sha512:${'b'.repeat(128)}` },
    { ref: 'sha256:totallywrong', code: 'DIGEST_INVALID' },
    { ref: `sha256:${'A'.repeat(64)}`, code: 'DIGEST_INVALID' },
    { ref: `md5:${'a'.repeat(32)}`, code: 'DIGEST_INVALID' },
    { ref: '-bad', code: 'TAG_INVALID' },
    { ref: 'x'.repeat(129), code: 'TAG_INVALID' },
  ];
  for (const c of cases) {
    if (c.code === undefined) assert.equal(requireReference(c.ref), c.ref);
    else
      assert.throws(
        () => requireReference(c.ref),
        (e: unknown) => e instanceof OciError && e.code === c.code,
        c.ref,
      );
  }
});
