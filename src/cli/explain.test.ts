import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EXPLAIN_USAGE, explainCommand, ExplainUsageError, parseExplainArgs } from './explain.js';

const REPO = 'arn:aws:ecr:us-east-1:111111111111:repository/app';
const ROLE = 'arn:aws:iam::222222222222:role/ci';

describe('crossdock explain arguments', () => {
  test('an action on a repository, with profiles', () => {
    const a = parseExplainArgs([
      '--principal',
      ROLE,
      '--action',
      'ecr:BatchGetImage',
      '--repository',
      REPO,
      '--owner-profile',
      'prod',
      '--profile',
      'dev',
      '--endpoint',
      'http://127.0.0.1:7560',
      '--json',
    ]);
    assert.ok(a !== 'help');
    assert.deepEqual(a.actions, ['ecr:BatchGetImage']);
    assert.equal(a.repository.arn, REPO);
    assert.equal(a.principal.kind, 'role');
    assert.equal(a.ownerProfile, 'prod');
    assert.equal(a.consumerProfile, 'dev');
    assert.equal(a.endpoint, 'http://127.0.0.1:7560');
    assert.equal(a.sessionName, 'crossdock-explain');
    assert.equal(a.json, true);
  });

  test('--image asks about the whole pull', () => {
    const a = parseExplainArgs([
      '--principal',
      ROLE,
      '--image',
      '127.0.0.1:7560/111111111111/app:v1',
      '--region',
      'eu-west-1',
    ]);
    assert.ok(a !== 'help');
    assert.deepEqual(a.actions, [
      'ecr:GetAuthorizationToken',
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
      'ecr:BatchCheckLayerAvailability',
    ]);
    assert.equal(a.repository.arn, 'arn:aws:ecr:eu-west-1:111111111111:repository/app');
    assert.equal(a.repository.reference, ':v1');
  });

  const bad: [string, string[], RegExp][] = [
    ['no principal', ['--action', 'ecr:BatchGetImage', '--repository', REPO], /--principal is required/],
    ['no target', ['--principal', ROLE], /exactly one of --repository and --image/],
    [
      'both targets',
      ['--principal', ROLE, '--repository', REPO, '--image', 'h/111111111111/app'],
      /exactly one/,
    ],
    ['a repository without an action', ['--principal', ROLE, '--repository', REPO], /needs --action/],
    [
      'an action AWS does not define',
      ['--principal', ROLE, '--action', 'ecr:Pull', '--repository', REPO],
      /`ecr:Pull` is not an action/,
    ],
    [
      'a principal that is not an ARN',
      ['--principal', 'ci', '--action', 'ecr:BatchGetImage', '--repository', REPO],
      /not a principal ARN/,
    ],
    [
      'a repository that is not one',
      ['--principal', ROLE, '--action', 'ecr:BatchGetImage', '--repository', 'app'],
      /is not a repository/,
    ],
    ['an unknown flag', ['--principal', ROLE, '--verbose'], /Unknown option/],
  ];
  for (const [name, args, message] of bad) {
    test(`refuses ${name}`, () =>
      assert.throws(
        () => parseExplainArgs(args),
        (e: Error) => e instanceof ExplainUsageError && message.test(e.message),
      ));
  }

  test('--help prints the usage and exits 0; a usage error exits 2', async () => {
    const out: string[] = [];
    const { log, error } = console;
    console.log = (s: string) => void out.push(s);
    console.error = (s: string) => void out.push(s);
    try {
      assert.equal(await explainCommand(['--help']), 0);
      assert.equal(out[0], EXPLAIN_USAGE);
      assert.equal(await explainCommand(['--principal', ROLE]), 2);
      assert.match(out[1] ?? '', /^crossdock explain: give exactly one of --repository and --image\nusage:/);
    } finally {
      console.log = log;
      console.error = error;
    }
  });
});
