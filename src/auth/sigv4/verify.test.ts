// Table-driven refusals: each case names what AWS answers, the failure kind the verifier returns,
// and the wire code each protocol family sends for it (see errors.ts for the public evidence).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sdkSign } from '../../../test/fixtures/sigv4/sdkSigner.js';
import {
  parseAuthorization,
  verifyRequest,
  wireError,
  SigningKeyCache,
  WIRE_ERRORS,
  type CredentialRecord,
  type SignedRequest,
  type SigV4FailureKind,
  type VerifyOptions,
} from './index.js';

const T0 = Date.UTC(2026, 10, 23, 17, 42, 50); // 20261123T174250Z
const MIN = 60_000;
const LONG: CredentialRecord = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  principal: 'user',
};
const TEMP: CredentialRecord = {
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
  expiresAt: T0 + 60 * MIN,
  principal: 'role session',
};
const body = 'Action=GetCallerIdentity&Version=2011-06-15';

function sign(
  cred: CredentialRecord,
  o: { service?: string; region?: string; at?: number; presign?: number; sessionToken?: string | null } = {},
) {
  const sessionToken = o.sessionToken === null ? undefined : (o.sessionToken ?? cred.sessionToken);
  return sdkSign(
    {
      method: 'POST',
      path: '/',
      headers: { host: '127.0.0.1:4566', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    },
    {
      credentials: { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey, sessionToken },
      region: o.region ?? 'us-east-1',
      service: o.service ?? 'sts',
      signingDate: new Date(o.at ?? T0),
      applyChecksum: false,
      ...(o.presign !== undefined ? { presign: { expiresIn: o.presign } } : {}),
    },
  );
}

function withHeaders(req: SignedRequest, headers: Record<string, string | undefined>): SignedRequest {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...req.headers, ...headers }))
    if (typeof v === 'string') merged[k] = v;
  return { ...req, headers: merged };
}

function editAuth(req: SignedRequest, from: string | RegExp, to: string): SignedRequest {
  return withHeaders(req, { authorization: (req.headers.authorization as string).replace(from, to) });
}

function options(o: Partial<VerifyOptions> = {}): VerifyOptions {
  const known = [LONG, TEMP];
  return {
    now: T0,
    lookup: async (id) => known.find((c) => c.accessKeyId === id),
    keyCache: new SigningKeyCache(8),
    ...o,
  };
}

interface Case {
  name: string;
  request: () => Promise<SignedRequest>;
  options?: Partial<VerifyOptions>;
  kind: SigV4FailureKind;
  awsJson: string;
  awsQuery: string;
  message?: string | RegExp;
}

const cases: Case[] = [
  {
    name: 'a request with neither an Authorization header nor presigned parameters is missing authentication',
    request: async () => withHeaders(await sign(LONG), { authorization: undefined }),
    kind: 'MissingAuthentication',
    awsJson: 'MissingAuthenticationTokenException',
    awsQuery: 'MissingAuthenticationToken',
    message: 'Request is missing Authentication Token',
  },
  {
    name: 'a Basic Authorization header is an incomplete signature and its credentials are not echoed',
    request: async () => withHeaders(await sign(LONG), { authorization: 'Basic QVdTOnNlY3JldHBhc3N3b3Jk' }),
    kind: 'IncompleteSignature',
    awsJson: 'IncompleteSignatureException',
    awsQuery: 'IncompleteSignature',
    message:
      "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
      "Authorization header requires 'SignedHeaders' parameter. Authorization=Basic",
  },
  {
    name: 'a garbled component without an equal sign is an incomplete signature',
    request: async () => editAuth(await sign(LONG), 'Credential=', 'Credential '),
    kind: 'IncompleteSignature',
    awsJson: 'IncompleteSignatureException',
    awsQuery: 'IncompleteSignature',
    message:
      /^'Credential AKIAIOSFODNN7EXAMPLE\/20261123\/us-east-1\/sts\/aws4_request' not a valid key=value pair \(missing equal-sign\) in Authorization header: 'AWS4-HMAC-SHA256 /,
  },
  {
    name: 'a header without its Signature component is an incomplete signature',
    request: async () => editAuth(await sign(LONG), /, Signature=[0-9a-f]+/, ''),
    kind: 'IncompleteSignature',
    awsJson: 'IncompleteSignatureException',
    awsQuery: 'IncompleteSignature',
    message: /^Authorization header requires 'Signature' parameter\. Authorization=AWS4-HMAC-SHA256 /,
  },
  {
    name: 'a request with neither X-Amz-Date nor Date is an incomplete signature',
    request: async () => withHeaders(await sign(LONG), { 'x-amz-date': undefined }),
    kind: 'IncompleteSignature',
    awsJson: 'IncompleteSignatureException',
    awsQuery: 'IncompleteSignature',
    message: /Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header\./,
  },
  {
    name: 'a request whose Host header is not signed is an incomplete signature',
    request: async () =>
      editAuth(await sign(LONG), 'content-type;host;x-amz-date', 'content-type;x-amz-date'),
    kind: 'IncompleteSignature',
    awsJson: 'IncompleteSignatureException',
    awsQuery: 'IncompleteSignature',
    message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
  },
  {
    name: 'a SigV4a signature is refused as an incomplete signature',
    request: async () => editAuth(await sign(LONG), 'AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256'),
    kind: 'IncompleteSignature',
    awsJson: 'IncompleteSignatureException',
    awsQuery: 'IncompleteSignature',
  },
  {
    name: 'a scope date other than the day of X-Amz-Date does not match',
    request: async () => editAuth(await sign(LONG), '/20261123/', '/20261122/'),
    kind: 'ScopeMismatch',
    awsJson: 'InvalidSignatureException',
    awsQuery: 'SignatureDoesNotMatch',
    message:
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261122' != '20261123', from '20261123T174250Z'.",
  },
  {
    name: 'a scope for another region than the endpoint serves is refused for a regional service',
    request: () => sign(LONG, { service: 'ecr', region: 'eu-west-1' }),
    options: { region: 'us-east-1', expectedService: 'ecr' },
    kind: 'ScopeMismatch',
    awsJson: 'InvalidSignatureException',
    awsQuery: 'SignatureDoesNotMatch',
    message: "Credential should be scoped to a valid region, not 'eu-west-1'. ",
  },
  {
    name: 'a scope for another service than the endpoint serves is refused',
    request: () => sign(LONG, { service: 'sts' }),
    options: { expectedService: 'ecr' },
    kind: 'ScopeMismatch',
    awsJson: 'InvalidSignatureException',
    awsQuery: 'SignatureDoesNotMatch',
    message: "Credential should be scoped to correct service: 'ecr'. ",
  },
  {
    name: 'a scope without the aws4_request terminator is refused',
    request: async () => editAuth(await sign(LONG), '/aws4_request', '/aws5_request'),
    kind: 'ScopeMismatch',
    awsJson: 'InvalidSignatureException',
    awsQuery: 'SignatureDoesNotMatch',
    message: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.",
  },
  {
    name: 'a request signed more than 15 minutes ago has an expired signature',
    request: () => sign(LONG),
    options: { now: T0 + 15 * MIN + 1000 },
    kind: 'RequestExpired',
    awsJson: 'InvalidSignatureException',
    awsQuery: 'SignatureDoesNotMatch',
    message:
      'Signature expired: 20261123T174250Z is now earlier than 20261123T174251Z (20261123T175751Z - 15 min.)',
  },
  {
    name: 'a request signed more than 15 minutes ahead is not yet current',
    request: () => sign(LONG),
    options: { now: T0 - 15 * MIN - 1000 },
    kind: 'RequestExpired',
    awsJson: 'InvalidSignatureException',
    awsQuery: 'SignatureDoesNotMatch',
    message:
      'Signature not yet current: 20261123T174250Z is still later than 20261123T174249Z (20261123T172749Z + 15 min.)',
  },
  {
    name: 'a presigned URL used after X-Amz-Expires has expired',
    request: () => sign(LONG, { presign: 60 }),
    options: { now: T0 + 61_000 },
    kind: 'RequestExpired',
    awsJson: 'InvalidSignatureException',
    awsQuery: 'SignatureDoesNotMatch',
  },
  {
    name: 'a presigned URL is held to the 15-minute window whatever X-Amz-Expires says',
    request: () => sign(LONG, { presign: 3600 }),
    options: { now: T0 + 16 * MIN },
    kind: 'RequestExpired',
    awsJson: 'InvalidSignatureException',
    awsQuery: 'SignatureDoesNotMatch',
    message: /^Signature expired: /,
  },
  {
    name: 'a presigned URL valid for more than a week is an incomplete signature',
    request: async () => {
      const req = await sign(LONG, { presign: 60 });
      return { ...req, query: req.query.replace('X-Amz-Expires=60', 'X-Amz-Expires=604801') };
    },
    kind: 'IncompleteSignature',
    awsJson: 'IncompleteSignatureException',
    awsQuery: 'IncompleteSignature',
  },
  {
    name: 'a presigned URL without X-Amz-Signature is an incomplete signature',
    request: async () => {
      const req = await sign(LONG, { presign: 60 });
      return { ...req, query: req.query.replace(/&?X-Amz-Signature=[0-9a-f]+/, '') };
    },
    kind: 'IncompleteSignature',
    awsJson: 'IncompleteSignatureException',
    awsQuery: 'IncompleteSignature',
    message: /^AWS query-string parameters must include 'X-Amz-Algorithm'/,
  },
  {
    name: 'an unknown access key is an invalid client token id',
    request: () => sign({ ...LONG, accessKeyId: 'AKIAUNKNOWNEXAMPLE00' }),
    kind: 'InvalidClientTokenId',
    awsJson: 'UnrecognizedClientException',
    awsQuery: 'InvalidClientTokenId',
    message: 'The security token included in the request is invalid.',
  },
  {
    name: 'temporary credentials past their expiry are an expired token',
    request: () => sign(TEMP),
    options: { now: T0 + 61 * MIN, maxSkewMs: 120 * MIN },
    kind: 'ExpiredToken',
    awsJson: 'ExpiredTokenException',
    awsQuery: 'ExpiredToken',
    message: 'The security token included in the request is expired',
  },
  {
    name: 'a session token that is not the key’s own is an invalid token',
    request: () => sign(TEMP, { sessionToken: 'FwoGZXIvYXdzEXAMPLEOTHER' }),
    kind: 'InvalidToken',
    awsJson: 'UnrecognizedClientException',
    awsQuery: 'InvalidClientTokenId',
    message: 'The security token included in the request is invalid.',
  },
  {
    name: 'a temporary key used without its session token is refused',
    request: () => sign(TEMP, { sessionToken: null }),
    kind: 'MissingToken',
    awsJson: 'UnrecognizedClientException',
    awsQuery: 'InvalidClientTokenId',
    message: 'The security token included in the request is invalid.',
  },
  {
    name: 'a session token sent with a long-term key is an invalid token',
    request: () => sign(LONG, { sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN' }),
    kind: 'InvalidToken',
    awsJson: 'UnrecognizedClientException',
    awsQuery: 'InvalidClientTokenId',
  },
  {
    name: 'a request signed with the wrong secret does not match',
    request: () => sign({ ...LONG, secretAccessKey: 'not-the-secret' }),
    kind: 'SignatureDoesNotMatch',
    awsJson: 'InvalidSignatureException',
    awsQuery: 'SignatureDoesNotMatch',
    message:
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  },
  {
    name: 'an x-amz-content-sha256 that is not the body’s hash does not match',
    request: async () => withHeaders(await sign(LONG), { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }),
    kind: 'SignatureDoesNotMatch',
    awsJson: 'InvalidSignatureException',
    awsQuery: 'SignatureDoesNotMatch',
  },
];

describe('verifyRequest refuses as AWS does', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const result = await verifyRequest(await c.request(), options(c.options));
      assert.equal(result.ok, false, 'the request was accepted');
      if (result.ok) return;
      assert.equal(result.error.kind, c.kind, result.error.message);
      assert.equal(wireError(c.kind, 'awsJson').code, c.awsJson);
      assert.equal(wireError(c.kind, 'awsQuery').code, c.awsQuery);
      if (typeof c.message === 'string') assert.equal(result.error.message, c.message);
      else if (c.message !== undefined) assert.match(result.error.message, c.message);
      for (const secret of [
        LONG.secretAccessKey,
        TEMP.secretAccessKey,
        TEMP.sessionToken!,
        'QVdTOnNlY3JldHBhc3N3b3Jk',
      ]) {
        assert.ok(!result.error.message.includes(secret), 'the message leaks a secret');
      }
    });
  }
});

describe('verifyRequest accepts at the edges', () => {
  const accepted: Array<{
    name: string;
    request: () => Promise<SignedRequest>;
    options?: Partial<VerifyOptions>;
  }> = [
    { name: 'exactly 15 minutes late', request: () => sign(LONG), options: { now: T0 + 15 * MIN } },
    { name: 'exactly 15 minutes early', request: () => sign(LONG), options: { now: T0 - 15 * MIN } },
    {
      name: 'IAM signed for the CLI’s configured region on a us-east-1 endpoint (global service)',
      request: () => sign(LONG, { service: 'iam', region: 'eu-west-1' }),
      options: { region: 'us-east-1', expectedService: ['sts', 'iam'] },
    },
    { name: 'temporary credentials with their token before expiry', request: () => sign(TEMP) },
    {
      name: 'a presigned URL within X-Amz-Expires',
      request: () => sign(TEMP, { presign: 60 }),
      options: { now: T0 + 60_000 },
    },
    {
      // (Signing with the Date header alone is covered by the 2011 suite in vectors.test.ts.)
      name: 'X-Amz-Date over an unsigned, different Date header',
      request: async () => withHeaders(await sign(LONG), { date: 'Sun, 01 Jan 2000 00:00:00 GMT' }),
    },
  ];
  for (const a of accepted) {
    test(a.name, async () => {
      const result = await verifyRequest(await a.request(), options(a.options));
      assert.equal(result.ok, true, result.ok ? '' : `${result.error.kind}: ${result.error.message}`);
    });
  }

  test('the scope service is returned so the server can route STS and IAM', async () => {
    const result = await verifyRequest(
      await sign(LONG, { service: 'iam' }),
      options({ expectedService: ['sts', 'iam'] }),
    );
    assert.ok(result.ok);
    assert.deepEqual(result.scope, { date: '20261123', region: 'us-east-1', service: 'iam' });
    assert.equal(result.credential.principal, 'user');
  });
});

describe('wireError', () => {
  test('binds each code to its status per family', () => {
    const statuses: Record<string, number> = {};
    for (const kind of Object.keys(WIRE_ERRORS) as SigV4FailureKind[]) {
      for (const family of ['awsJson', 'awsQuery'] as const) {
        const { code, status } = wireError(kind, family);
        if (statuses[code] !== undefined) assert.equal(statuses[code], status, `${code} has two statuses`);
        statuses[code] = status;
      }
    }
    assert.deepEqual(statuses, {
      MissingAuthenticationTokenException: 400,
      MissingAuthenticationToken: 403,
      IncompleteSignatureException: 400,
      IncompleteSignature: 400,
      UnrecognizedClientException: 400,
      InvalidClientTokenId: 403,
      InvalidSignatureException: 400,
      SignatureDoesNotMatch: 403,
      ExpiredTokenException: 400,
      ExpiredToken: 403,
    });
  });
});

describe('parseAuthorization', () => {
  test('reads the three components with or without spaces after commas', () => {
    const parsed = parseAuthorization(
      'AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request,SignedHeaders=host;x-amz-date,Signature=abc',
    );
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value.credential, {
      accessKeyId: 'AKID',
      date: '20150830',
      region: 'us-east-1',
      service: 'iam',
      terminator: 'aws4_request',
    });
    assert.deepEqual(parsed.value.signedHeaders, ['host', 'x-amz-date']);
    assert.equal(parsed.value.signature, 'abc');
  });

  test('refuses a credential without five parts', () => {
    const parsed = parseAuthorization(
      'AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1, SignedHeaders=host, Signature=abc',
    );
    assert.equal(parsed.ok ? 'ok' : parsed.error.kind, 'IncompleteSignature');
  });
});
