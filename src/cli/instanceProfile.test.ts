import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInstanceProfileArgs, UsageError } from './instanceProfile.js';

describe('crossdock instance-profile arguments', () => {
  test('the documented form, with defaults', () => {
    assert.deepEqual(
      parseInstanceProfileArgs([
        '--endpoint',
        'http://127.0.0.1:5000',
        '--role-arn',
        'arn:aws:iam::222222222222:role/R',
        '--port',
        '8080',
      ]),
      {
        endpoint: 'http://127.0.0.1:5000',
        roleArn: 'arn:aws:iam::222222222222:role/R',
        port: 8080,
        host: '127.0.0.1',
        ecs: false,
      },
    );
    assert.deepEqual(
      parseInstanceProfileArgs([
        '--endpoint=https://x.example',
        '--instance-profile-name',
        'web',
        '--port=0',
        '--host',
        '::1',
        '--ecs',
      ]),
      {
        endpoint: 'https://x.example',
        instanceProfileName: 'web',
        port: 0,
        host: '::1',
        ecs: true,
      },
    );
  });

  const bad: [string, string[]][] = [
    ['no endpoint', ['--role-arn', 'a', '--port', '1']],
    ['no role or profile', ['--endpoint', 'http://h', '--port', '1']],
    ['no port', ['--endpoint', 'http://h', '--role-arn', 'a']],
    ['a port out of range', ['--endpoint', 'http://h', '--role-arn', 'a', '--port', '70000']],
    ['an endpoint that is not http', ['--endpoint', 'ftp://h', '--role-arn', 'a', '--port', '1']],
    ['an unknown flag', ['--endpoint', 'http://h', '--role-arn', 'a', '--port', '1', '--verbose']],
    ['a flag without its value', ['--endpoint', 'http://h', '--role-arn']],
  ];
  for (const [name, args] of bad) {
    test(`refuses ${name}`, () => assert.throws(() => parseInstanceProfileArgs(args), UsageError));
  }
});
