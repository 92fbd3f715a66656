import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  SECRET_KEY_FILE,
  SecretBox,
  SecretError,
  asSealedSecret,
  hashSessionToken,
  isSealedSecret,
  sessionTokenMatches,
  type SealedSecret,
} from './secrets.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'crossdock-secrets-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rejectsCode = (fn: () => unknown, code: SecretError['code']) =>
  assert.throws(fn, (e: unknown) => e instanceof SecretError && e.code === code);

describe('SecretBox', () => {
  const box = SecretBox.fromKey(Buffer.alloc(32, 1));

  test('a sealed secret unseals with the same key and context', () => {
    const sealed = box.seal(SECRET, KEY_ID);
    assert.ok(isSealedSecret(sealed));
    assert.ok(!sealed.includes(SECRET));
    assert.equal(box.unseal(sealed, KEY_ID), SECRET);
  });

  test('sealing twice gives different ciphertexts (fresh IVs)', () => {
    assert.notEqual(box.seal(SECRET, KEY_ID), box.seal(SECRET, KEY_ID));
  });

  test('empty and unicode plaintexts round-trip', () => {
    for (const p of ['', 'ünïcode 🐳', 'x'.repeat(10_000)])
      assert.equal(box.unseal(box.seal(p, 'c'), 'c'), p);
  });

  const cases: { name: string; open: (sealed: SealedSecret) => unknown }[] = [
    {
      name: 'another context (a ciphertext moved to another key id) fails',
      open: (s) => box.unseal(s, 'AKIAOTHER'),
    },
    { name: 'another key fails', open: (s) => SecretBox.fromKey(Buffer.alloc(32, 2)).unseal(s, KEY_ID) },
    {
      name: 'a flipped ciphertext byte fails',
      open: (s) => {
        const [v, iv, body, tag] = s.split('.') as [string, string, string, string];
        const b = Buffer.from(body, 'base64url');
        b[0] = (b[0] ?? 0) ^ 1;
        return box.unseal(asSealedSecret([v, iv, b.toString('base64url'), tag].join('.')), KEY_ID);
      },
    },
    {
      name: 'a truncated tag fails',
      open: (s) => box.unseal(`${s.slice(0, -2)}AA` as SealedSecret, KEY_ID),
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const sealed = box.seal(SECRET, KEY_ID);
      assert.throws(
        () => c.open(sealed),
        (e: unknown) => e instanceof SecretError && e.code === 'Unsealable' && !e.message.includes(SECRET),
      );
    });
  }

  test('the key never shows in strings, JSON or inspect', () => {
    const keyHex = Buffer.alloc(32, 1).toString('hex');
    for (const shown of [
      String(box),
      JSON.stringify({ box }),
      inspect(box, { showHidden: true, depth: 5 }),
    ]) {
      assert.ok(!shown.includes(keyHex) && !shown.includes('\u0001'), shown);
    }
  });

  test('values that are not sealed secrets are refused without being echoed', () => {
    assert.throws(
      () => asSealedSecret(SECRET),
      (e: unknown) => e instanceof SecretError && !e.message.includes(SECRET),
    );
    rejectsCode(() => SecretBox.fromKey(Buffer.alloc(16)), 'BadKeyFile');
  });
});

describe('SecretBox.forDataDir', () => {
  test('creates a 0600 32-byte key on first start and reuses it', () =>
    withDir(async (dir) => {
      const first = await SecretBox.forDataDir(join(dir, 'nested'));
      const file = join(dir, 'nested', SECRET_KEY_FILE);
      const info = await stat(file);
      assert.equal(info.mode & 0o777, 0o600);
      assert.equal((await readFile(file)).length, 32);
      const second = await SecretBox.forDataDir(join(dir, 'nested'));
      assert.equal(second.unseal(first.seal(SECRET, KEY_ID), KEY_ID), SECRET);
    }));

  test('concurrent first starts agree on one key', () =>
    withDir(async (dir) => {
      const boxes = await Promise.all(Array.from({ length: 8 }, () => SecretBox.forDataDir(dir)));
      const sealed = boxes[0]!.seal(SECRET, KEY_ID);
      for (const b of boxes) assert.equal(b.unseal(sealed, KEY_ID), SECRET);
    }));

  test('a key file readable by others is tightened to 0600', () =>
    withDir(async (dir) => {
      await SecretBox.forDataDir(dir);
      const file = join(dir, SECRET_KEY_FILE);
      await chmod(file, 0o644);
      await SecretBox.forDataDir(dir);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
    }));

  test('a key file of the wrong size is refused', () =>
    withDir(async (dir) => {
      await writeFile(join(dir, SECRET_KEY_FILE), Buffer.alloc(31), { mode: 0o600 });
      await assert.rejects(
        SecretBox.forDataDir(dir),
        (e: unknown) => e instanceof SecretError && e.code === 'BadKeyFile',
      );
    }));
});

describe('session tokens', () => {
  test('a token matches its hash and nothing else', () => {
    const token = 'FwoGZXIvYXdzEJr//////////wEaDO+token';
    const hash = hashSessionToken(token);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.ok(sessionTokenMatches(token, hash));
    assert.ok(!sessionTokenMatches(`${token}x`, hash));
    assert.ok(!sessionTokenMatches(token, 'abcd'));
  });
});
