import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiEndpointFor,
  isEcrHost,
  isLoopbackHost,
  normalizeServerUrl,
  parseRegistryRef,
  RegistryRefError,
  registryScopeKey,
} from './registryRef.js';

const A = '111111111111';
const DIGEST = `sha256:${'a'.repeat(64)}`;

test('registry references of every style are read into host, account, region, repository and tag', () => {
  const cases = [
    {
      name: 'a bare path-style registry names the account and leaves the region to the server',
      input: `127.0.0.1:7560/${A}`,
      want: { host: '127.0.0.1:7560', style: 'path', aws: false, accountId: A },
    },
    {
      name: 'a path-style image reference with a region, a nested repository and a tag',
      input: `127.0.0.1:7560/${A}.eu-west-1/team/app:v1`,
      want: {
        host: '127.0.0.1:7560',
        style: 'path',
        aws: false,
        accountId: A,
        region: 'eu-west-1',
        repository: 'team/app',
        tag: 'v1',
      },
    },
    {
      name: 'a pasted proxyEndpoint keeps its scheme',
      input: `http://127.0.0.1:7560/${A}/`,
      want: { host: '127.0.0.1:7560', scheme: 'http', style: 'path', aws: false, accountId: A },
    },
    {
      name: 'a host-style crossdock reference with a digest',
      input: `${A}.dkr.ecr.us-east-1.localhost:7560/app@${DIGEST}`,
      want: {
        host: `${A}.dkr.ecr.us-east-1.localhost:7560`,
        style: 'host',
        aws: false,
        accountId: A,
        region: 'us-east-1',
        repository: 'app',
        digest: DIGEST,
      },
    },
    {
      name: 'an Amazon ECR host is recognised as AWS',
      input: `${A}.dkr.ecr.eu-central-1.amazonaws.com/my-first-repo:latest`,
      want: {
        host: `${A}.dkr.ecr.eu-central-1.amazonaws.com`,
        style: 'host',
        aws: true,
        accountId: A,
        region: 'eu-central-1',
        repository: 'my-first-repo',
        tag: 'latest',
      },
    },
    {
      name: 'an Amazon ECR FIPS host is recognised as AWS',
      input: `${A}.dkr.ecr-fips.us-east-1.amazonaws.com`,
      want: {
        host: `${A}.dkr.ecr-fips.us-east-1.amazonaws.com`,
        style: 'host',
        aws: true,
        accountId: A,
        region: 'us-east-1',
      },
    },
    {
      name: 'a host alone names no account',
      input: 'Registry.Example.com:5000',
      want: { host: 'registry.example.com:5000', style: 'path', aws: false },
    },
    {
      name: 'an IPv6 loopback host with a tag and a digest',
      input: `[::1]:7560/${A}/app:v2@${DIGEST}`,
      want: {
        host: '[::1]:7560',
        style: 'path',
        aws: false,
        accountId: A,
        repository: 'app',
        tag: 'v2',
        digest: DIGEST,
      },
    },
  ];
  for (const c of cases) assert.deepEqual(parseRegistryRef(c.input), c.want, c.name);
});

test('references the registry would refuse are refused here too', () => {
  const cases = [
    { name: 'a Docker Hub style path has no registry id', input: '127.0.0.1:7560/library/ubuntu' },
    { name: 'a short account id', input: '127.0.0.1:7560/12345/app' },
    { name: 'an unknown region form', input: `127.0.0.1:7560/${A}.nowhere/app` },
    { name: 'upper case in a repository name', input: `127.0.0.1:7560/${A}/App` },
    { name: 'a traversal component', input: `127.0.0.1:7560/${A}/../x` },
    { name: 'a tag with a space', input: `127.0.0.1:7560/${A}/app:bad tag` },
    { name: 'a malformed digest', input: `127.0.0.1:7560/${A}/app@sha256:abc` },
    { name: 'no host at all', input: `/${A}/app` },
    { name: 'an empty reference', input: '' },
  ];
  for (const c of cases) assert.throws(() => parseRegistryRef(c.input), RegistryRefError, c.name);
});

test('the registry scope key is the namespace for path-style and the host for host-style', () => {
  const cases = [
    { input: `127.0.0.1:7560/${A}/app:v1`, key: `127.0.0.1:7560/${A}` },
    { input: `127.0.0.1:7560/${A}.eu-west-1/app`, key: `127.0.0.1:7560/${A}.eu-west-1` },
    { input: '127.0.0.1:7560', key: '127.0.0.1:7560' },
    { input: `${A}.dkr.ecr.us-east-1.localhost:7560/app`, key: `${A}.dkr.ecr.us-east-1.localhost:7560` },
  ];
  for (const c of cases) assert.equal(registryScopeKey(parseRegistryRef(c.input)), c.key, c.input);
});

test('the API endpoint of a registry host: explicit, then AWS for ECR hosts, then the environment, then the host', () => {
  const ref = (s: string) => parseRegistryRef(s);
  const cases = [
    {
      name: 'an explicit endpoint wins over everything',
      got: apiEndpointFor(ref(`${A}.dkr.ecr.us-east-1.amazonaws.com`), {
        explicit: 'http://127.0.0.1:9',
        environment: 'http://127.0.0.1:8',
      }),
      want: 'http://127.0.0.1:9',
    },
    {
      name: 'an ECR host talks to AWS even when CROSSDOCK_ENDPOINT is set',
      got: apiEndpointFor(ref(`${A}.dkr.ecr.us-east-1.amazonaws.com`), { environment: 'http://127.0.0.1:8' }),
      want: undefined,
    },
    {
      name: 'CROSSDOCK_ENDPOINT overrides the host of a crossdock registry',
      got: apiEndpointFor(ref('127.0.0.1:7560'), { environment: 'http://10.0.0.1:7560' }),
      want: 'http://10.0.0.1:7560',
    },
    {
      name: 'a loopback registry is plain HTTP on the same port',
      got: apiEndpointFor(ref(`127.0.0.1:7560/${A}`)),
      want: 'http://127.0.0.1:7560',
    },
    {
      name: 'a remote registry is HTTPS',
      got: apiEndpointFor(ref(`registry.example.com:7560/${A}`)),
      want: 'https://registry.example.com:7560',
    },
    {
      name: 'a scheme written in the reference is kept',
      got: apiEndpointFor(ref(`http://registry.internal:7560/${A}`)),
      want: 'http://registry.internal:7560',
    },
    {
      name: 'a host-style *.localhost name is sent to 127.0.0.1',
      got: apiEndpointFor(ref(`${A}.dkr.ecr.us-east-1.localhost:7560`)),
      want: 'http://127.0.0.1:7560',
    },
  ];
  for (const c of cases) assert.equal(c.got, c.want, c.name);
});

test('server URLs from clients and config files are normalised to the host', () => {
  const cases = [
    { input: '127.0.0.1:7560', want: '127.0.0.1:7560' },
    { input: 'HTTP://127.0.0.1:7560/', want: '127.0.0.1:7560' },
    { input: 'https://index.docker.io/v1/', want: 'index.docker.io' },
    { input: ` 127.0.0.1:7560/${A}\n`, want: '127.0.0.1:7560' },
  ];
  for (const c of cases) assert.equal(normalizeServerUrl(c.input), c.want, c.input);
});

test('ECR and loopback hosts are told apart from the rest', () => {
  assert.equal(isEcrHost(`${A}.dkr.ecr.cn-north-1.amazonaws.com.cn`), true);
  assert.equal(isEcrHost(`${A}.dkr.ecr.us-east-1.localhost:7560`), false);
  assert.equal(isEcrHost(`${A}.dkr.ecr.us-east-1.amazonaws.com.evil.example`), false);
  for (const h of ['127.0.0.1:7560', 'localhost', `${A}.dkr.ecr.us-east-1.localhost:1`, '[::1]:5000'])
    assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['10.0.0.1:7560', 'localhost.example.com', 'index.docker.io'])
    assert.equal(isLoopbackHost(h), false, h);
});
