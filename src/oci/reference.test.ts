import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from './errors.js';
import { parseImageReference, registryUrl } from './reference.js';

const D = `sha256:${'a'.repeat(64)}`;

const cases = [
  {
    name: 'a bare name is Docker Hub’s library',
    input: 'alpine',
    want: { registry: 'docker.io', repository: 'library/alpine' },
  },
  {
    name: 'a Docker Hub user repository with a tag',
    input: 'bitnami/redis:7.2',
    want: { registry: 'docker.io', repository: 'bitnami/redis', tag: '7.2' },
  },
  {
    name: 'a host with a port, a nested path, a tag and a digest',
    input: '127.0.0.1:5000/team/app/api:v1@' + D,
    want: { registry: '127.0.0.1:5000', repository: 'team/app/api', tag: 'v1', digest: D },
  },
  {
    name: 'skopeo’s docker:// prefix and localhost',
    input: 'docker://localhost/app',
    want: { registry: 'localhost', repository: 'app' },
  },
  {
    name: 'an http:// prefix is kept as the scheme',
    input: 'http://registry.example:8080/app:latest',
    want: { registry: 'registry.example:8080', repository: 'app', tag: 'latest', scheme: 'http' },
  },
  {
    name: 'index.docker.io is Docker Hub',
    input: 'index.docker.io/nginx',
    want: { registry: 'docker.io', repository: 'library/nginx' },
  },
];

for (const c of cases)
  test(c.name, () => {
    assert.deepEqual(parseImageReference(c.input), c.want);
  });

for (const bad of ['Upper/Case', 'host:5000/app:bad tag', 'app@sha256:short', 'host:5000/'])
  test(`\`${bad}\` is refused`, () => {
    assert.throws(
      () => parseImageReference(bad),
      (e) => e instanceof RegistryError && e.code === 'UNSUPPORTED',
    );
  });

test('registry URLs: Docker Hub’s API host, plain HTTP on loopback, HTTPS elsewhere', () => {
  assert.equal(registryUrl({ registry: 'docker.io' }).href, 'https://registry-1.docker.io/');
  assert.equal(registryUrl({ registry: '127.0.0.1:5000' }).href, 'http://127.0.0.1:5000/');
  assert.equal(registryUrl({ registry: 'ghcr.io' }).href, 'https://ghcr.io/');
  assert.equal(registryUrl({ registry: 'localhost:5000', scheme: 'https' }).href, 'https://localhost:5000/');
});
