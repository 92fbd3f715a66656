// Replays the official AWS SigV4 test suite step by step: canonical request, string to sign,
// signature, then the whole verifier with a clock at the signing time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import {
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  credentialScope,
  deriveSigningKey,
  formatAmzDate,
  parseAuthorization,
  parseHttpDate,
  parseQuery,
  signString,
  stringToSign,
  verifyRequest,
  SigningKeyCache,
  type CredentialRecord,
  type SignedRequest,
} from './index.js';

interface VectorCase {
  name: string;
  request: {
    method: string;
    path: string;
    query: string;
    headers: Record<string, string | string[]>;
    body: string;
  };
  authorization?: string;
  presigned?: boolean;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}
interface Suite {
  name: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  signingTime: string;
  cases: VectorCase[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/sigv4/aws-sig-v4-test-suite.json', import.meta.url), 'utf8'),
) as { suites: Suite[] };

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** The carrier fields a vector's request holds, read the way the verifier reads them. */
function carrier(c: VectorCase) {
  const params = parseQuery(c.request.query);
  if (c.presigned === true) {
    const get = (k: string) => decodeURIComponent(params.find((p) => p.key === k)!.rawValue);
    const [, date, region, service] = get('X-Amz-Credential').split('/');
    return {
      params,
      signedHeaders: get('X-Amz-SignedHeaders'),
      amzDate: get('X-Amz-Date'),
      date,
      region,
      service,
    };
  }
  const parsed = parseAuthorization(c.authorization!);
  assert.ok(parsed.ok);
  const xDate = c.request.headers['x-amz-date'];
  const amzDate =
    typeof xDate === 'string' ? xDate : formatAmzDate(parseHttpDate(c.request.headers.date as string)!);
  const { date, region, service } = parsed.value.credential;
  return { params, signedHeaders: parsed.value.signedHeadersRaw, amzDate, date, region, service };
}

for (const suite of fixture.suites) {
  describe(suite.name, () => {
    const now = Date.parse(suite.signingTime);
    for (const c of suite.cases) {
      test(`${c.name}: canonical request, string to sign and signature match the suite`, () => {
        const k = carrier(c);
        const creq = canonicalRequest({
          method: c.request.method,
          canonicalUri: canonicalUri(c.request.path),
          canonicalQuery: canonicalQuery(k.params, c.presigned === true ? 'X-Amz-Signature' : undefined),
          canonicalHeaders: canonicalHeaders(c.request.headers, k.signedHeaders.split(';')),
          signedHeaders: k.signedHeaders,
          payloadHash: sha256(c.request.body),
        });
        assert.equal(creq, c.canonicalRequest);
        const sts = stringToSign(k.amzDate, credentialScope(k.date!, k.region!, k.service!), creq);
        assert.equal(sts, c.stringToSign);
        const key = deriveSigningKey(suite.credentials.secretAccessKey, k.date!, k.region!, k.service!);
        assert.equal(signString(key, sts), c.signature);
      });

      test(`${c.name}: the verifier accepts the signed request`, async () => {
        const headers: Record<string, string | string[]> = { ...c.request.headers };
        if (c.authorization !== undefined) headers.authorization = c.authorization;
        const req: SignedRequest = { ...c.request, headers, bodySha256Hex: sha256(c.request.body) };
        const token =
          (headers['x-amz-security-token'] as string | undefined) ??
          parseQuery(c.request.query)
            .filter((p) => p.key === 'X-Amz-Security-Token')
            .map((p) => decodeURIComponent(p.rawValue))[0];
        const record: CredentialRecord = { ...suite.credentials, sessionToken: token, principal: 'vector' };
        const result = await verifyRequest(req, {
          now,
          lookup: async (id) => (id === record.accessKeyId ? record : undefined),
          keyCache: new SigningKeyCache(4),
        });
        assert.equal(result.ok, true, result.ok ? '' : result.error.message);
        if (result.ok) assert.equal(result.presigned, c.presigned === true);
      });
    }
  });
}
