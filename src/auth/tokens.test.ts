import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { issueRegistryToken, parseBasicAuth, REGISTRY_TOKEN_TTL_MS, verifyRegistryToken } from './tokens.js';

const key = randomBytes(32);
const now = Date.UTC(2026, 10, 23, 12);
const claims = {
  accessKeyId: 'AKIAEXAMPLEEXAMPLE12',
  registryId: '111111111111',
  region: 'eu-central-1',
  issuedAt: now,
  expiresAt: now + REGISTRY_TOKEN_TTL_MS,
};

const cases = [
  {
    name: 'a fresh token verifies and gives back its claims',
    token: () => issueRegistryToken(key, claims),
    at: now + 1000,
    ok: true,
  },
  {
    name: 'a token is refused once it has expired',
    token: () => issueRegistryToken(key, claims),
    at: now + REGISTRY_TOKEN_TTL_MS,
    ok: false,
    problem: 'expired',
  },
  {
    name: 'a token signed with another key is forged',
    token: () => issueRegistryToken(randomBytes(32), claims),
    at: now,
    ok: false,
    problem: 'forged',
  },
  {
    name: 'a token whose expiry was edited is forged',
    token: () => {
      const [p, payload, sig] = issueRegistryToken(key, claims).split('.');
      const edited = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      edited.exp += 3600;
      return `${p}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${sig}`;
    },
    at: now,
    ok: false,
    problem: 'forged',
  },
  { name: 'garbage is malformed', token: () => 'not-a-token', at: now, ok: false, problem: 'malformed' },
];
for (const c of cases) {
  test(c.name, () => {
    const r = verifyRegistryToken(key, c.token(), c.at);
    assert.equal(r.ok, c.ok);
    if (r.ok)
      assert.deepEqual(r.claims, { ...claims, issuedAt: now, expiresAt: now + REGISTRY_TOKEN_TTL_MS });
    else assert.equal(r.problem, c.problem);
  });
}

test('a token issued without a region (before tokens carried one) verifies with no region', () => {
  const { region: _region, ...unbound } = claims;
  const r = verifyRegistryToken(key, issueRegistryToken(key, unbound), now);
  assert.ok(r.ok);
  assert.equal(r.claims.region, undefined);
});

test('changing any one character of a token makes it invalid', () => {
  const token = issueRegistryToken(key, claims);
  fc.assert(
    fc.property(fc.nat(token.length - 1), fc.constantFrom('A', 'b', '0', '-', '_', '.'), (i, ch) => {
      fc.pre(token[i] !== ch);
      const bad = token.slice(0, i) + ch + token.slice(i + 1);
      assert.equal(verifyRegistryToken(key, bad, now).ok, false);
    }),
  );
});

test('Basic auth parses AWS:<token> and refuses other schemes', () => {
  const header = `Basic ${Buffer.from('AWS:abc.def:ghi').toString('base64')}`;
  assert.deepEqual(parseBasicAuth(header), { user: 'AWS', password: 'abc.def:ghi' });
  assert.equal(parseBasicAuth('Bearer x'), undefined);
  assert.equal(parseBasicAuth(undefined), undefined);
});
