// Every request the real aws CLI (2.9.19 and 1.45.11) signed in shared/fixtures verifies with its
// secret and a clock at its own date; changing one byte of what was signed makes it fail.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import {
  parseAmzDate,
  parseAuthorization,
  verifyRequest,
  SigningKeyCache,
  type SignedRequest,
} from './index.js';

interface Capture {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  case: string;
  secretAccessKey: string;
}

const captures = readFileSync(
  new URL('../../../test/fixtures/sigv4/aws-cli-captures.jsonl', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim().length > 0)
  .map((l) => JSON.parse(l) as Capture)
  .filter((c) => c.headers.authorization !== undefined);

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const keyCache = new SigningKeyCache(16);

function toRequest(c: Capture): SignedRequest {
  const q = c.url.indexOf('?');
  return {
    method: c.method,
    path: q < 0 ? c.url : c.url.slice(0, q),
    query: q < 0 ? '' : c.url.slice(q + 1),
    headers: c.headers,
    bodySha256Hex: sha256(c.body),
  };
}

function verify(c: Capture, req: SignedRequest) {
  const parsed = parseAuthorization(c.headers.authorization!);
  assert.ok(parsed.ok);
  const record = {
    accessKeyId: parsed.value.credential.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    sessionToken: c.headers['x-amz-security-token'],
    principal: c.case,
  };
  return verifyRequest(req, {
    now: parseAmzDate(c.headers['x-amz-date']!)!,
    lookup: async (id) => (id === record.accessKeyId ? record : undefined),
    keyCache,
  });
}

/** Changes one character to another of the same kind so the value stays well-formed. */
function flip(s: string, at: number): string {
  const ch = s.charAt(at);
  const next = /[0-9]/.test(ch) ? String((Number(ch) + 1) % 10) : ch === 'a' ? 'b' : 'a';
  return s.slice(0, at) + next + s.slice(at + 1);
}

describe('aws CLI captures', () => {
  test('the fixture holds the 22 SigV4-signed requests', () => {
    assert.equal(captures.length, 22);
  });

  captures.forEach((c, i) => {
    const what = `#${i + 1} ${c.case} ${c.headers['x-amz-target'] ?? c.body.split('&')[0]}`;

    test(`${what} verifies and reports its scope`, async () => {
      const result = await verify(c, toRequest(c));
      assert.equal(result.ok, true, result.ok ? '' : result.error.message);
      if (!result.ok) return;
      const service = /\/([a-z]+)\/aws4_request/.exec(c.headers.authorization!)?.[1];
      assert.equal(result.scope.service, service);
      assert.equal(result.presigned, false);
    });

    test(`${what} fails when one byte of the body hash changes`, async () => {
      const req = toRequest(c);
      const result = await verify(c, { ...req, bodySha256Hex: flip(req.bodySha256Hex, 7) });
      assert.equal(result.ok ? 'ok' : result.error.kind, 'SignatureDoesNotMatch');
    });

    test(`${what} fails when one byte of each signed header changes`, async () => {
      const parsed = parseAuthorization(c.headers.authorization!);
      assert.ok(parsed.ok);
      for (const name of parsed.value.signedHeaders) {
        const value = c.headers[name]!;
        const at = value.search(/[0-9a-z]/);
        const result = await verify(c, {
          ...toRequest(c),
          headers: { ...c.headers, [name]: flip(value, at) },
        });
        assert.equal(result.ok, false, `changing ${name} went unnoticed`);
      }
    });

    test(`${what} fails when one byte of the signature changes`, async () => {
      const auth = c.headers.authorization!;
      const at = auth.indexOf('Signature=') + 'Signature='.length + 3;
      const result = await verify(c, {
        ...toRequest(c),
        headers: { ...c.headers, authorization: flip(auth, at) },
      });
      assert.equal(result.ok ? 'ok' : result.error.kind, 'SignatureDoesNotMatch');
    });
  });
});
