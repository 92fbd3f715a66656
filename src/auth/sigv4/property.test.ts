// Property: whatever the AWS SDK's own signer (@smithy/signature-v4) signs verifies — random
// method, path, query, headers and body, header and presigned forms, with and without a session
// token — and changing one byte of any signed part makes verification fail.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sdkSign, type SdkCredentials } from '../../../test/fixtures/sigv4/sdkSigner.js';
import { verifyRequest, DEFAULT_MAX_SKEW_MS, SigningKeyCache, type SignedRequest } from './index.js';

const RUNS = 300;
const SKEW = DEFAULT_MAX_SKEW_MS;

const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const pathChars = [
  ...alnum,
  '-',
  '_',
  '.',
  '~',
  '!',
  '$',
  "'",
  '(',
  ')',
  '*',
  '+',
  ',',
  ';',
  '=',
  ':',
  '@',
  'é',
  'ሴ',
  '😀',
];
const hex = '0123456789ABCDEFabcdef';

/** A path as an SDK serializer could put it on the wire: segments with raw and %XX characters. */
const segment = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('', '.', '..') },
  {
    weight: 6,
    arbitrary: fc
      .array(
        fc.oneof(
          { weight: 5, arbitrary: fc.constantFrom(...pathChars) },
          {
            weight: 1,
            arbitrary: fc
              .tuple(fc.constantFrom(...hex), fc.constantFrom(...hex))
              .map(([a, b]) => `%${a}${b}`),
          },
        ),
        { minLength: 1, maxLength: 8 },
      )
      .map((cs) => cs.join('')),
  },
);
const path = fc
  .tuple(fc.array(segment, { maxLength: 5 }), fc.boolean())
  .map(([segs, trailing]) => '/' + segs.join('/') + (trailing && segs.length > 0 ? '/' : ''));

const queryText = fc.string({
  unit: fc.constantFrom(...alnum, ' ', '+', '%', '&', '=', '/', '?', 'é', '😀', '-', '.'),
  maxLength: 10,
});
const queryKey = queryText.filter((k) => k.length > 0 && !k.toLowerCase().startsWith('x-amz-'));
const query = fc.dictionary(
  queryKey,
  fc.oneof(queryText, fc.array(queryText, { minLength: 1, maxLength: 3 })),
  {
    maxKeys: 4,
  },
);

const reserved = new Set([
  'host',
  'date',
  'authorization',
  'user-agent',
  'connection',
  'expect',
  'from',
  'te',
]);
const headerName = fc
  .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'), minLength: 1, maxLength: 10 })
  .filter(
    (n) =>
      /^[a-z]/.test(n) &&
      !reserved.has(n) &&
      !/^(x-amz-|proxy-|sec-|cache-control|keep-alive|max-forwards|pragma|referer|trailer|transfer-encoding|upgrade|x-amzn-trace-id)/.test(
        n,
      ),
  );
const headerValue = fc.string({
  unit: fc.constantFrom(...alnum, ' ', ' ', '\t', ',', ';', '"', '/', ':', '='),
  maxLength: 16,
});
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 4 });

const credentials: fc.Arbitrary<SdkCredentials> = fc.record(
  {
    accessKeyId: fc
      .string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'), minLength: 16, maxLength: 16 })
      .map((s) => 'ASIA' + s),
    secretAccessKey: fc.string({ unit: fc.constantFrom(...alnum, '/', '+'), minLength: 40, maxLength: 40 }),
    sessionToken: fc.string({ unit: fc.constantFrom(...alnum, '/', '+', '='), minLength: 20, maxLength: 60 }),
  },
  { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
);

const scenario = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'),
  path,
  query,
  headers,
  host: fc.constantFrom('127.0.0.1:4566', 'localhost', '111122223333.dkr.ecr.eu-west-1.localhost:5000'),
  body: fc.oneof(fc.constant(''), fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 })),
  credentials,
  region: fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2'),
  service: fc.constantFrom('ecr', 'sts', 'iam', 'organizations'),
  signedAtS: fc.integer({ min: 946684800, max: 4102444800 }),
  presignExpires: fc.option(fc.integer({ min: 1, max: 604800 }), { nil: undefined }),
  applyChecksum: fc.boolean(),
  clockFraction: fc.double({ min: -1, max: 1, noNaN: true }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

async function signScenario(s: Scenario): Promise<{ req: SignedRequest; now: number }> {
  const signedAt = s.signedAtS * 1000;
  const req = await sdkSign(
    { method: s.method, path: s.path, query: s.query, headers: { ...s.headers, host: s.host }, body: s.body },
    {
      credentials: s.credentials,
      region: s.region,
      service: s.service,
      signingDate: new Date(signedAt),
      applyChecksum: s.applyChecksum,
      ...(s.presignExpires !== undefined ? { presign: { expiresIn: s.presignExpires } } : {}),
    },
  );
  // Any instant inside the window the request is valid for.
  const late = s.presignExpires !== undefined ? Math.min(s.presignExpires * 1000, SKEW) : SKEW;
  const now = signedAt + Math.round(s.clockFraction < 0 ? s.clockFraction * SKEW : s.clockFraction * late);
  return { req, now };
}

function verify(req: SignedRequest, s: Scenario, now: number, keyCache: SigningKeyCache) {
  const record = { ...s.credentials, principal: 'property' };
  return verifyRequest(req, {
    now,
    lookup: async (id) => (id === record.accessKeyId ? record : undefined),
    keyCache,
  });
}

/** Replaces the character at `at` with a different alphanumeric one (different even ignoring case). */
function replaceAt(s: string, at: number, pick: number): string {
  const cur = s.charAt(at).toLowerCase();
  const choices = [...'abcdefghijklmnopqrstuvwxyz0123456789'].filter((c) => c !== cur);
  return s.slice(0, at) + choices[pick % choices.length] + s.slice(at + 1);
}

/** Positions of alphanumeric characters that are not hex digits of a %XX escape. */
function plainAlnumPositions(s: string, from = 0, to = s.length): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) {
    if (s.charAt(i) === '%' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      i += 2;
      continue;
    }
    if (/[A-Za-z0-9]/.test(s.charAt(i))) out.push(i);
  }
  return out;
}

/** Positions in the path whose segment survives normalization (not dropped by a later `..`). */
function survivingPathPositions(p: string): number[] {
  const stack: Array<[number, number]> = [];
  let start = 0;
  for (const seg of p.split('/')) {
    if (seg === '..') stack.pop();
    else if (seg !== '' && seg !== '.') stack.push([start, start + seg.length]);
    start += seg.length + 1;
  }
  return stack.flatMap(([a, b]) => plainAlnumPositions(p, a, b));
}

type Target = 'signature' | 'method' | 'path' | 'query' | 'header' | 'body';

/** One meaningful one-byte change to a signed part, or undefined when that part has none. */
function mutate(req: SignedRequest, target: Target, pick: number): SignedRequest | undefined {
  const choose = (xs: number[]) => (xs.length === 0 ? undefined : xs[pick % xs.length]);
  switch (target) {
    case 'signature': {
      const auth = req.headers.authorization;
      if (typeof auth === 'string') {
        const at = auth.indexOf('Signature=') + 10 + (pick % 64);
        return { ...req, headers: { ...req.headers, authorization: replaceAt(auth, at, pick) } };
      }
      const at = req.query.indexOf('X-Amz-Signature=') + 16 + (pick % 64);
      return { ...req, query: replaceAt(req.query, at, pick) };
    }
    case 'method':
      return { ...req, method: replaceAt(req.method, pick % req.method.length, pick) };
    case 'path': {
      const at = choose(survivingPathPositions(req.path));
      return at === undefined ? undefined : { ...req, path: replaceAt(req.path, at, pick) };
    }
    case 'query': {
      const sig = req.query.indexOf('X-Amz-Signature=');
      const positions = plainAlnumPositions(req.query).filter((i) => sig < 0 || i < sig || i > sig + 16 + 64);
      const at = choose(positions);
      return at === undefined ? undefined : { ...req, query: replaceAt(req.query, at, pick) };
    }
    case 'header': {
      const auth = req.headers.authorization;
      const signed =
        typeof auth === 'string'
          ? (/SignedHeaders=([^,]+)/.exec(auth)?.[1] ?? '').split(';')
          : decodeURIComponent(/X-Amz-SignedHeaders=([^&]+)/.exec(req.query)?.[1] ?? '').split(';');
      const candidates = signed.flatMap((name) => {
        const v = req.headers[name];
        return typeof v === 'string' ? plainAlnumPositions(v).map((i) => [name, i] as const) : [];
      });
      const c = candidates.length === 0 ? undefined : candidates[pick % candidates.length];
      if (c === undefined) return undefined;
      const [name, at] = c;
      return {
        ...req,
        headers: { ...req.headers, [name]: replaceAt(req.headers[name] as string, at, pick) },
      };
    }
    case 'body': {
      const at = pick % req.bodySha256Hex.length;
      const ch = req.bodySha256Hex.charAt(at);
      const next = ch === '0' ? '1' : '0';
      return {
        ...req,
        bodySha256Hex: req.bodySha256Hex.slice(0, at) + next + req.bodySha256Hex.slice(at + 1),
      };
    }
  }
}

describe('requests signed by @smithy/signature-v4', () => {
  test('verify, in header and presigned forms, with and without a session token', async () => {
    const keyCache = new SigningKeyCache(64);
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { req, now } = await signScenario(s);
        const result = await verify(req, s, now, keyCache);
        assert.equal(result.ok, true, result.ok ? '' : `${result.error.kind}: ${result.error.message}`);
        if (!result.ok) return;
        assert.equal(result.presigned, s.presignExpires !== undefined);
        assert.deepEqual(result.scope, {
          date: new Date(s.signedAtS * 1000).toISOString().slice(0, 10).replace(/-/g, ''),
          region: s.region,
          service: s.service,
        });
      }),
      { numRuns: RUNS },
    );
  });

  test('fail after any one-byte change to a signed part', async () => {
    const keyCache = new SigningKeyCache(64);
    const targets: Target[] = ['signature', 'method', 'path', 'query', 'header', 'body'];
    await fc.assert(
      fc.asyncProperty(scenario, fc.constantFrom(...targets), fc.nat(), async (s, target, pick) => {
        const { req, now } = await signScenario(s);
        const changed = mutate(req, target, pick);
        fc.pre(changed !== undefined);
        const result = await verify(changed!, s, now, keyCache);
        assert.equal(result.ok, false, `a change to the ${target} went unnoticed`);
      }),
      { numRuns: RUNS },
    );
  });
});
