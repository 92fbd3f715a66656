// The server over HTTP on a real port: health, first-start bootstrap, the Organizations API and
// crossdock's CreateAccount extension through real SDK clients, SigV4 failures in each protocol's
// own error shape, bad input that must never produce a 5xx, and state that survives a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import {
  AccessDeniedException,
  AccountNotFoundException,
  CreateAccountCommand,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { startServer, sdkCredentials, type TestServer } from '../../test/helpers/server.js';
import { CallError } from '../cli/signedCall.js';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(async () => {
  await t.stop();
});

function orgs(creds: { AccessKeyId: string; SecretAccessKey: string }) {
  return new OrganizationsClient({
    endpoint: t.endpoint,
    region: 'us-east-1',
    credentials: sdkCredentials({ AccountId: '', ...creds }),
  });
}

async function post(
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(t.endpoint, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

describe('first start', () => {
  test('/healthz answers 200 when ready', async () => {
    const res = await fetch(`${t.endpoint}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ok');
  });

  test('the management credentials file is written with mode 0600', async () => {
    const s = await stat(t.server.managementCredentialsFile);
    assert.equal(s.mode & 0o777, 0o600);
    assert.match(t.management.AccountId, /^\d{12}$/);
    assert.match(t.management.AccessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(t.management.SecretAccessKey.length, 40);
  });
});

describe('Organizations through the SDK', () => {
  test('DescribeOrganization names the management account', async () => {
    const out = await orgs(t.management).send(new DescribeOrganizationCommand({}));
    assert.equal(out.Organization?.MasterAccountId, t.management.AccountId);
    assert.match(out.Organization?.Id ?? '', /^o-[a-z0-9]{10}$/);
  });

  test('CreateAccount succeeds at once and the status can be described', async () => {
    const client = orgs(t.management);
    const out = await client.send(new CreateAccountCommand({ Email: 'dev@example.com', AccountName: 'dev' }));
    assert.equal(out.CreateAccountStatus?.State, 'SUCCEEDED');
    const id = out.CreateAccountStatus?.Id ?? '';
    const again = await client.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: id }));
    assert.equal(again.CreateAccountStatus?.AccountId, out.CreateAccountStatus?.AccountId);
    const acct = await client.send(
      new DescribeAccountCommand({ AccountId: out.CreateAccountStatus?.AccountId }),
    );
    assert.equal(acct.Account?.Name, 'dev');
  });

  test('ListAccounts pages with MaxResults and NextToken', async () => {
    const client = orgs(t.management);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListAccountsCommand({ MaxResults: 1, ...(token && { NextToken: token }) }),
      );
      assert.ok((page.Accounts ?? []).length <= 1);
      seen.push(...(page.Accounts ?? []).map((a) => a.Id ?? ''));
      token = page.NextToken;
    } while (token !== undefined);
    assert.ok(seen.includes(t.management.AccountId));
    assert.equal(new Set(seen).size, seen.length);
  });

  test('an unknown account is AccountNotFoundException', async () => {
    await assert.rejects(
      orgs(t.management).send(new DescribeAccountCommand({ AccountId: '999999999999' })),
      AccountNotFoundException,
    );
  });

  test('a member account may not list the organization', async () => {
    const member = await t.createAccount('member-lister');
    await assert.rejects(orgs(member).send(new ListAccountsCommand({})), AccessDeniedException);
  });
});

describe('crossdock accounts create (extension)', () => {
  test('a pinned account id is honoured and returns a working root key', async () => {
    const a = await t.createAccount('pinned', '123456789012');
    assert.equal(a.AccountId, '123456789012');
    const out = await orgs(a).send(new DescribeOrganizationCommand({}));
    assert.equal(out.Organization?.MasterAccountId, t.management.AccountId);
  });

  test('a pinned account id that exists already is refused', async () => {
    await assert.rejects(
      t.createAccount('pinned-again', '123456789012'),
      (e: unknown) => e instanceof CallError && e.code === 'DuplicateAccountException',
    );
  });

  test('an alias that exists already is refused', async () => {
    await assert.rejects(
      t.createAccount('pinned'),
      (e: unknown) => e instanceof CallError && e.code === 'DuplicateAccountException',
    );
  });
});

describe("SigV4 failures answer in the protocol's own shape", () => {
  const cases: {
    name: string;
    headers: Record<string, string>;
    body: string;
    status: number;
    code: RegExp;
  }[] = [
    {
      name: 'an unsigned Organizations call is MissingAuthenticationTokenException',
      headers: {
        'x-amz-target': 'AWSOrganizationsV20161128.DescribeOrganization',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{}',
      status: 400,
      code: /MissingAuthenticationToken/,
    },
    {
      name: 'an unsigned STS call is MissingAuthenticationToken in XML',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
      status: 403,
      code: /<Code>MissingAuthenticationToken<\/Code>/,
    },
    {
      name: 'a garbled Authorization header is IncompleteSignature',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 garbage',
      },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
      status: 400,
      code: /IncompleteSignature/,
    },
    {
      name: 'an unknown X-Amz-Target is UnknownOperationException',
      headers: { 'x-amz-target': 'Nope_20200101.Do', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
      status: 400,
      code: /UnknownOperationException/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await post(c.headers, c.body);
      assert.equal(r.status, c.status, r.text);
      assert.match(r.text, c.code);
    });
  }

  test('a wrong secret key is InvalidSignatureException for Organizations', async () => {
    const client = orgs({ AccessKeyId: t.management.AccessKeyId, SecretAccessKey: 'x'.repeat(40) });
    await assert.rejects(
      client.send(new DescribeOrganizationCommand({})),
      (e: Error) => e.name === 'InvalidSignatureException',
    );
  });

  test('an unknown access key is UnrecognizedClientException for Organizations', async () => {
    const client = orgs({ AccessKeyId: 'AKIAAAAAAAAAAAAAAAAA', SecretAccessKey: 'x'.repeat(40) });
    await assert.rejects(
      client.send(new DescribeOrganizationCommand({})),
      (e: Error) => e.name === 'UnrecognizedClientException',
    );
  });

  test('error answers never contain the secret key', async () => {
    const client = orgs({
      AccessKeyId: t.management.AccessKeyId,
      SecretAccessKey: 'SECRETSECRETSECRETSECRETSECRETSECRET1234',
    });
    const err = await client.send(new DescribeOrganizationCommand({})).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.ok(!JSON.stringify(err).includes('SECRETSECRET'));
  });
});

describe('bad input', () => {
  test('an oversized body is refused without a 5xx', async () => {
    const r = await post(
      { 'content-type': 'application/x-www-form-urlencoded' },
      'Action=GetCallerIdentity&X=' + 'a'.repeat(2 << 20),
    );
    assert.ok(r.status >= 400 && r.status < 500, String(r.status));
  });

  test('an unknown path is 404', async () => {
    const res = await fetch(`${t.endpoint}/nope`);
    assert.equal(res.status, 404);
  });
});

describe('restart', () => {
  test('accounts created before a restart are still there, and keys still work', async () => {
    const a = await t.createAccount('survivor');
    await t.restart();
    const out = await orgs(t.management).send(new DescribeAccountCommand({ AccountId: a.AccountId }));
    assert.equal(out.Account?.Name, 'survivor');
    const org = await orgs(a).send(new DescribeOrganizationCommand({}));
    assert.equal(org.Organization?.MasterAccountId, t.management.AccountId);
  });
});

describe('TLS', () => {
  test('--tls self-signed serves https with a certificate for 127.0.0.1', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const https = await import('node:https');
    const { serve } = await import('./main.js');
    const dataDir = await mkdtemp(join(tmpdir(), 'crossdock-tls-'));
    const s = await serve({ port: 0, dataDir, logLevel: 'silent', tls: 'self-signed' });
    try {
      assert.match(s.url, /^https:\/\//);
      const { certFile } = (await import('./tls.js')).selfSignedPaths(dataDir);
      const ca = await (await import('node:fs/promises')).readFile(certFile);
      const status = await new Promise<number>((resolve, reject) => {
        https.get(`${s.url}/healthz`, { ca }, (res) => resolve(res.statusCode ?? 0)).on('error', reject);
      });
      assert.equal(status, 200);
    } finally {
      await s.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('replay', () => {
  test('a request signed 20 minutes ago is refused with SignatureDoesNotMatch (clock skew)', async () => {
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { NodeSha256 } = await import('../cli/signedCall.js');
    const url = new URL(t.endpoint);
    const signer = new SignatureV4({
      credentials: sdkCredentials(t.management),
      region: 'us-east-1',
      service: 'sts',
      sha256: NodeSha256,
    });
    const body = 'Action=GetCallerIdentity&Version=2011-06-15';
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: '/',
        headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body,
      },
      { signingDate: new Date(Date.now() - 20 * 60 * 1000) },
    );
    const r = await post(signed.headers as Record<string, string>, body);
    assert.equal(r.status, 403);
    assert.match(r.text, /<Code>SignatureDoesNotMatch<\/Code>/);
    assert.match(r.text, /Signature expired/);
  });
});
