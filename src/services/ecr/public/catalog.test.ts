// ECR Public's repository catalog data: every model limit at its edge (accepted) and one past it
// (InvalidParameterException in ECR's form), the allowed architectures and operating systems,
// duplicates dropped, the PNG logo kept in base64, and the answer's shape (no logoUrl).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceError } from '../../errors.js';
import { catalogDataOut, checkCatalogData, parseStoredCatalog, type CatalogDataIn } from './catalog.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const png = (size: number) => Buffer.concat([PNG, Buffer.alloc(size - PNG.length, 1)]);
const invalid = (member: string, constraint: string) =>
  `Invalid parameter at 'catalogData.${member}' failed to satisfy constraint: '${constraint}'`;

function refuses(input: CatalogDataIn, message: string): void {
  assert.throws(
    () => checkCatalogData(input),
    (e: unknown) => {
      assert.ok(e instanceof ServiceError, String(e));
      assert.equal(e.code, 'InvalidParameterException');
      assert.equal(e.message, message);
      return true;
    },
  );
}

test('each limit accepts its edge and refuses one past it', () => {
  const cases: { name: string; ok: CatalogDataIn; bad: CatalogDataIn; message: string }[] = [
    {
      name: 'description is at most 1024 characters',
      ok: { description: 'd'.repeat(1024) },
      bad: { description: 'd'.repeat(1025) },
      message: invalid('description', 'must have length less than or equal to 1024'),
    },
    {
      name: 'aboutText is at most 25600 characters',
      ok: { aboutText: 'a'.repeat(25_600) },
      bad: { aboutText: 'a'.repeat(25_601) },
      message: invalid('aboutText', 'must have length less than or equal to 25600'),
    },
    {
      name: 'usageText is at most 25600 characters',
      ok: { usageText: 'u'.repeat(25_600) },
      bad: { usageText: 'u'.repeat(25_601) },
      message: invalid('usageText', 'must have length less than or equal to 25600'),
    },
    {
      name: 'architectures has at most 50 entries',
      ok: { architectures: Array<string>(50).fill('ARM') },
      bad: { architectures: Array<string>(51).fill('ARM') },
      message: invalid('architectures', 'must have length less than or equal to 50'),
    },
    {
      name: 'operatingSystems has at most 50 entries',
      ok: { operatingSystems: Array<string>(50).fill('Linux') },
      bad: { operatingSystems: Array<string>(51).fill('Linux') },
      message: invalid('operatingSystems', 'must have length less than or equal to 50'),
    },
    {
      name: 'the logo is at most 512000 bytes',
      ok: { logoImageBlob: png(512_000) },
      bad: { logoImageBlob: png(512_001) },
      message: invalid('logoImageBlob', 'must have length less than or equal to 512000'),
    },
  ];
  for (const c of cases) {
    assert.doesNotThrow(() => checkCatalogData(c.ok), c.name);
    refuses(c.bad, c.message);
  }
});

test('architectures and operating systems come from ECR Public lists, case-sensitively', () => {
  assert.deepEqual(
    checkCatalogData({
      architectures: ['ARM', 'ARM 64', 'x86', 'x86-64'],
      operatingSystems: ['Linux', 'Windows'],
    }),
    { architectures: ['ARM', 'ARM 64', 'x86', 'x86-64'], operatingSystems: ['Linux', 'Windows'] },
  );
  for (const a of ['arm', 'amd64', 'ARM64', 'x86_64', '']) {
    refuses(
      { architectures: ['ARM', a] },
      invalid('architectures', 'must contain only ARM, ARM 64, x86, x86-64'),
    );
  }
  for (const o of ['linux', 'macOS', 'Windows ']) {
    refuses({ operatingSystems: [o] }, invalid('operatingSystems', 'must contain only Linux, Windows'));
  }
});

test('duplicates are dropped, first occurrence order kept', () => {
  assert.deepEqual(
    checkCatalogData({
      architectures: ['x86', 'ARM', 'x86', 'ARM'],
      operatingSystems: ['Windows', 'Linux', 'Windows'],
    }),
    { architectures: ['x86', 'ARM'], operatingSystems: ['Windows', 'Linux'] },
  );
});

test('the logo must start with the PNG signature and is kept in base64', () => {
  refuses(
    { logoImageBlob: Buffer.from('GIF89a-not-a-png') },
    invalid('logoImageBlob', 'must be a PNG image'),
  );
  refuses({ logoImageBlob: PNG.subarray(0, 7) }, invalid('logoImageBlob', 'must be a PNG image'));
  const logo = png(64);
  assert.deepEqual(checkCatalogData({ logoImageBlob: logo }), { logoPngBase64: logo.toString('base64') });
  assert.deepEqual(checkCatalogData({ logoImageBlob: new Uint8Array(0) }), {});
});

test('what is kept has only the members given, and empty text stays', () => {
  assert.deepEqual(checkCatalogData({}), {});
  assert.deepEqual(checkCatalogData({ description: '', aboutText: 'about' }), {
    description: '',
    aboutText: 'about',
  });
});

test('the answer has no logoUrl, is never marketplace certified, and keeps the model order', () => {
  const stored = checkCatalogData({
    usageText: 'docker pull',
    logoImageBlob: png(100),
    operatingSystems: ['Linux'],
    description: 'an app',
    aboutText: '# About',
    architectures: ['x86-64'],
  });
  const out = catalogDataOut(stored);
  assert.deepEqual(Object.keys(out), [
    'description',
    'architectures',
    'operatingSystems',
    'aboutText',
    'usageText',
    'marketplaceCertified',
  ]);
  assert.equal(out.marketplaceCertified, false);
  assert.ok(!('logoUrl' in out));
  assert.ok(!('logoPngBase64' in out));
  assert.deepEqual(catalogDataOut({}), { marketplaceCertified: false });
});

test('the answer does not share arrays with what is kept', () => {
  const stored = checkCatalogData({ architectures: ['ARM'] });
  const out = catalogDataOut(stored);
  out.architectures!.push('x86');
  assert.deepEqual(stored.architectures, ['ARM']);
});

test('stored catalog text round-trips, and none reads as empty', () => {
  const stored = checkCatalogData({ description: 'x', architectures: ['ARM'] });
  assert.deepEqual(parseStoredCatalog(JSON.stringify(stored)), stored);
  assert.deepEqual(parseStoredCatalog(undefined), {});
});
