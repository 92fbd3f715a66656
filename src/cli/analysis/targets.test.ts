import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrincipal, parseRepository, TargetError } from './targets.js';

const A = '111122223333';

describe('repository and image references', () => {
  const cases: {
    name: string;
    input: string;
    image?: boolean;
    arn: string;
    region: string;
    name_: string;
    reference?: string;
  }[] = [
    {
      name: 'an ARN',
      input: `arn:aws:ecr:eu-west-1:${A}:repository/team/app`,
      arn: `arn:aws:ecr:eu-west-1:${A}:repository/team/app`,
      region: 'eu-west-1',
      name_: 'team/app',
    },
    {
      name: 'a path-style URI takes the default region',
      input: `127.0.0.1:7560/${A}/team/app`,
      arn: `arn:aws:ecr:us-east-1:${A}:repository/team/app`,
      region: 'us-east-1',
      name_: 'team/app',
    },
    {
      name: 'a path-style URI with a region',
      input: `localhost:7560/${A}.eu-central-1/app`,
      arn: `arn:aws:ecr:eu-central-1:${A}:repository/app`,
      region: 'eu-central-1',
      name_: 'app',
    },
    {
      name: 'a host-style URI with a port and a scheme',
      input: `https://${A}.dkr.ecr.ap-southeast-2.localhost:7560/app`,
      arn: `arn:aws:ecr:ap-southeast-2:${A}:repository/app`,
      region: 'ap-southeast-2',
      name_: 'app',
    },
    {
      name: 'an AWS image with a tag',
      input: `${A}.dkr.ecr.eu-central-1.amazonaws.com/my-first-repo:v1`,
      image: true,
      arn: `arn:aws:ecr:eu-central-1:${A}:repository/my-first-repo`,
      region: 'eu-central-1',
      name_: 'my-first-repo',
      reference: ':v1',
    },
    {
      name: 'a path-style image with a digest (the port is not a tag)',
      input: `127.0.0.1:7560/${A}/team/app@sha256:${'a'.repeat(64)}`,
      image: true,
      arn: `arn:aws:ecr:us-east-1:${A}:repository/team/app`,
      region: 'us-east-1',
      name_: 'team/app',
      reference: `@sha256:${'a'.repeat(64)}`,
    },
    {
      name: 'an image without a tag',
      input: `127.0.0.1:7560/${A}/app`,
      image: true,
      arn: `arn:aws:ecr:us-east-1:${A}:repository/app`,
      region: 'us-east-1',
      name_: 'app',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = parseRepository(c.input, 'us-east-1', c.image ?? false);
      assert.deepEqual(r, {
        arn: c.arn,
        accountId: A,
        region: c.region,
        name: c.name_,
        ...(c.reference !== undefined && { reference: c.reference }),
      });
    });
  }

  for (const bad of ['app', `127.0.0.1:7560/app`, `127.0.0.1:7560/${A}/`, 'arn:aws:s3:::bucket']) {
    test(`\`${bad}\` is refused`, () => assert.throws(() => parseRepository(bad, 'us-east-1'), TargetError));
  }
});

describe('principal ARNs', () => {
  test('a user keeps its name without the path', () => {
    assert.deepEqual(parsePrincipal(`arn:aws:iam::${A}:user/dev/alice`), {
      kind: 'user',
      accountId: A,
      arn: `arn:aws:iam::${A}:user/dev/alice`,
      name: 'alice',
    });
  });
  test('a role', () => {
    assert.deepEqual(parsePrincipal(`arn:aws:iam::${A}:role/ci`), {
      kind: 'role',
      accountId: A,
      arn: `arn:aws:iam::${A}:role/ci`,
      name: 'ci',
    });
  });
  test('a session maps to its role', () => {
    assert.deepEqual(parsePrincipal(`arn:aws:sts::${A}:assumed-role/ci/build-42`), {
      kind: 'session',
      accountId: A,
      arn: `arn:aws:sts::${A}:assumed-role/ci/build-42`,
      name: 'ci',
      sessionName: 'build-42',
    });
  });
  test('the root ARN and the bare account id', () => {
    assert.deepEqual(parsePrincipal(`arn:aws:iam::${A}:root`), {
      kind: 'root',
      accountId: A,
      arn: `arn:aws:iam::${A}:root`,
    });
    assert.deepEqual(parsePrincipal(A), { kind: 'root', accountId: A, arn: `arn:aws:iam::${A}:root` });
  });
  for (const bad of [
    'alice',
    `arn:aws:iam::${A}:group/devs`,
    `arn:aws:sts::${A}:federated-user/bob`,
    'arn:aws:iam::123:root',
  ]) {
    test(`\`${bad}\` is refused`, () => assert.throws(() => parsePrincipal(bad), TargetError));
  }
});
