// The names of ECR Public's registry: `public/<alias>/<repo>` path-style and `<alias>/<repo>` on
// the public host, what is refused as NAME_INVALID, what is left to the private registry, which
// hosts are the public one, and that no host-style private registry is ever the public partition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OciError } from './errors.js';
import { hostRegistry, isPublicHost, publicName } from './names.js';

const A = '111111111111';

const nameInvalid = (e: unknown) => e instanceof OciError && e.code === 'NAME_INVALID';

test('a public name is the alias and the repository after it, in either style', () => {
  const cases: {
    name: string;
    path: string;
    publicHost: boolean;
    want: { alias: string; repository: string };
  }[] = [
    {
      name: 'path-style',
      path: 'public/abcd1234/app',
      publicHost: false,
      want: { alias: 'abcd1234', repository: 'app' },
    },
    {
      name: 'path-style, nested repository',
      path: 'public/abcd1234/team/sub/app',
      publicHost: false,
      want: { alias: 'abcd1234', repository: 'team/sub/app' },
    },
    {
      name: 'public host',
      path: 'abcd1234/app',
      publicHost: true,
      want: { alias: 'abcd1234', repository: 'app' },
    },
    {
      name: 'public host, alias with separators',
      path: 'my-alias_x.y/team/app',
      publicHost: true,
      want: { alias: 'my-alias_x.y', repository: 'team/app' },
    },
    {
      name: 'public host: a leading `public/` is an alias named public',
      path: 'public/app',
      publicHost: true,
      want: { alias: 'public', repository: 'app' },
    },
    {
      name: 'two-character alias',
      path: 'public/ab/app',
      publicHost: false,
      want: { alias: 'ab', repository: 'app' },
    },
    {
      name: 'fifty-character alias',
      path: `public/${'a'.repeat(50)}/app`,
      publicHost: false,
      want: { alias: 'a'.repeat(50), repository: 'app' },
    },
    {
      name: 'a 205-character repository',
      path: `public/abcd1234/${'r'.repeat(205)}`,
      publicHost: false,
      want: { alias: 'abcd1234', repository: 'r'.repeat(205) },
    },
  ];
  for (const c of cases) assert.deepEqual(publicName(c.path, c.publicHost), c.want, c.name);
});

test('a public name with a bad alias or repository is NAME_INVALID', () => {
  const cases: { name: string; path: string; publicHost: boolean }[] = [
    { name: 'no repository', path: 'public/abcd1234', publicHost: false },
    { name: 'no repository on the public host', path: 'abcd1234', publicHost: true },
    { name: 'empty repository', path: 'public/abcd1234/', publicHost: false },
    { name: 'one-character alias', path: 'public/a/app', publicHost: false },
    { name: 'fifty-one-character alias', path: `public/${'a'.repeat(51)}/app`, publicHost: false },
    { name: 'alias starting with a digit', path: 'public/1abc/app', publicHost: false },
    { name: 'upper-case alias', path: 'public/ABCD1234/app', publicHost: false },
    { name: 'alias ending with a separator', path: 'public/abc-/app', publicHost: false },
    { name: 'upper-case repository', path: 'public/abcd1234/App', publicHost: false },
    { name: 'traversal', path: 'public/abcd1234/../x', publicHost: false },
    { name: 'empty component', path: 'public/abcd1234//x', publicHost: false },
    { name: 'percent escapes', path: 'public/abcd1234/%2e%2e', publicHost: false },
    { name: 'a 206-character repository', path: `public/abcd1234/${'r'.repeat(206)}`, publicHost: false },
    {
      name: 'a 206-character repository on the public host',
      path: `abcd1234/${'r'.repeat(206)}`,
      publicHost: true,
    },
    { name: 'an empty alias', path: 'public//app', publicHost: false },
  ];
  for (const c of cases) assert.throws(() => publicName(c.path, c.publicHost), nameInvalid, c.name);
});

test('a private name, or no name, is not a public one', () => {
  const cases: { path: string | undefined; publicHost: boolean }[] = [
    { path: `${A}/app`, publicHost: false },
    { path: `${A}.eu-west-1/team/app`, publicHost: false },
    { path: 'publicx/abcd1234/app', publicHost: false },
    { path: 'public', publicHost: false },
    { path: 'team/public/app', publicHost: false },
    { path: undefined, publicHost: false },
    { path: undefined, publicHost: true },
  ];
  for (const c of cases) assert.equal(publicName(c.path, c.publicHost), undefined, String(c.path));
});

test('the public host is public.ecr.<domain>, with any port, any case, a trailing dot', () => {
  const cases: { host: string | undefined; domain: string; want: boolean }[] = [
    { host: 'public.ecr.localhost', domain: 'localhost', want: true },
    { host: 'public.ecr.localhost:5000', domain: 'localhost', want: true },
    { host: 'PUBLIC.ECR.LocalHost:443', domain: 'localhost', want: true },
    { host: 'public.ecr.localhost.', domain: 'localhost', want: true },
    { host: 'public.ecr.localhost.:8080', domain: 'localhost', want: true },
    { host: 'public.ecr.example.com', domain: 'Example.COM', want: true },
    { host: 'public.ecr.example.com', domain: 'localhost', want: false },
    { host: 'public.ecr.localhost.evil.com', domain: 'localhost', want: false },
    { host: 'x.public.ecr.localhost', domain: 'localhost', want: false },
    { host: 'public.ecr.localhostx', domain: 'localhost', want: false },
    { host: 'public.ecr.aws', domain: 'localhost', want: false },
    { host: 'localhost:5000', domain: 'localhost', want: false },
    { host: `${A}.dkr.ecr.us-east-1.localhost`, domain: 'localhost', want: false },
    { host: 'public.ecr.localhost:abc', domain: 'localhost', want: false },
    { host: '', domain: 'localhost', want: false },
    { host: undefined, domain: 'localhost', want: false },
    { host: `public.ecr.localhost:${'1'.repeat(300)}`, domain: 'localhost', want: false },
  ];
  for (const c of cases) assert.equal(isPublicHost(c.host, c.domain), c.want, `${c.host} on ${c.domain}`);
});

test('no host-style private registry is the public partition', () => {
  for (const host of [
    `${A}.dkr.ecr.public.localhost`,
    `${A}.dkr.ecr.public.localhost:5000`,
    `${A}.DKR.ECR.PUBLIC.LOCALHOST`,
    'public.ecr.localhost',
  ]) {
    assert.equal(hostRegistry(host, 'localhost'), undefined, host);
  }
});
