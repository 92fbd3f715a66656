import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenges } from './challenge.js';

const cases = [
  {
    name: 'ECR’s Basic challenge keeps its realm and service',
    header: 'Basic realm="https://1.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"',
    want: [
      {
        scheme: 'basic',
        params: { realm: 'https://1.dkr.ecr.us-east-1.amazonaws.com/', service: 'ecr.amazonaws.com' },
      },
    ],
  },
  {
    name: 'a Bearer challenge with a scope listing two actions',
    header:
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push"',
    want: [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/alpine:pull,push',
        },
      },
    ],
  },
  {
    name: 'an insufficient_scope error, bare tokens and escaped quotes',
    header: 'Bearer realm="https://r/t\\"x",error=insufficient_scope',
    want: [{ scheme: 'bearer', params: { realm: 'https://r/t"x', error: 'insufficient_scope' } }],
  },
  {
    name: 'two challenges in one header, and one per header',
    header: ['Basic realm="a", Bearer realm="b"', 'Negotiate'],
    want: [
      { scheme: 'basic', params: { realm: 'a' } },
      { scheme: 'bearer', params: { realm: 'b' } },
      { scheme: 'negotiate', params: {} },
    ],
  },
  { name: 'no header, no challenge', header: undefined, want: [] },
];

for (const c of cases)
  test(c.name, () => {
    assert.deepEqual(parseChallenges(c.header), c.want);
  });
