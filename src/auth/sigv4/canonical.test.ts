import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalHeaderValue,
  canonicalHeaders,
  canonicalQuery,
  canonicalQueryComponent,
  canonicalUri,
  parseQuery,
  uriEncode,
} from './canonical.js';

describe('uriEncode', () => {
  const cases = [
    { name: 'leaves the unreserved set alone', input: 'AZaz09-_.~', out: 'AZaz09-_.~' },
    {
      name: 'escapes reserved characters, uppercase hex',
      input: "!'()*/ +",
      out: '%21%27%28%29%2A%2F%20%2B',
    },
    { name: 'encodes an already-encoded input again', input: '%2F', out: '%252F' },
    { name: 'encodes UTF-8 bytes', input: 'ሴ😀', out: '%E1%88%B4%F0%9F%98%80' },
    { name: 'encodes a lone surrogate as U+FFFD instead of throwing', input: '\ud800x', out: '%EF%BF%BDx' },
  ];
  for (const c of cases) test(c.name, () => assert.equal(uriEncode(c.input), c.out));
});

describe('canonicalUri', () => {
  const cases: Array<[string, string]> = [
    ['', '/'],
    ['/', '/'],
    ['//', '/'],
    ['/./', '/'],
    ['/a/..', '/'],
    ['/a/b/../..', '/'],
    ['/..', '/'],
    ['//a//', '/a/'],
    ['/./a', '/a'],
    ['/a/./b/', '/a/b/'],
    ['/%20/foo', '/%2520/foo'],
    ['/example space/', '/example%20space/'],
    ['/v2/repo%2Fname/manifests/latest', '/v2/repo%252Fname/manifests/latest'],
  ];
  for (const [raw, canonical] of cases)
    test(`\`${raw}\` becomes \`${canonical}\``, () => assert.equal(canonicalUri(raw), canonical));
});

describe('canonical query', () => {
  test('sorts by encoded key, then by encoded value', () => {
    assert.equal(canonicalQuery(parseQuery('b=2&a=2&a=1&A=3')), 'A=3&a=1&a=2&b=2');
  });
  test('keeps empty values and keys without `=`', () => {
    assert.equal(canonicalQuery(parseQuery('x&y=&z=1')), 'x=&y=&z=1');
  });
  test('skips empty segments', () => {
    assert.equal(canonicalQuery(parseQuery('&a=1&&b=2&')), 'a=1&b=2');
  });
  test('treats `+` as a literal plus, not a space', () => {
    assert.equal(canonicalQuery(parseQuery('c+d=e+f')), 'c%2Bd=e%2Bf');
  });
  test('decodes then re-encodes, normalizing escape case and unneeded escapes', () => {
    assert.equal(canonicalQueryComponent('%2f%7E%41'), '%2F~A');
  });
  test('keeps a malformed escape literal and invalid UTF-8 bytes intact', () => {
    assert.equal(canonicalQueryComponent('%zz%FF'), '%25zz%FF');
  });
  test('leaves out the excluded key', () => {
    assert.equal(canonicalQuery(parseQuery('X-Amz-Signature=abc&b=1'), 'X-Amz-Signature'), 'b=1');
  });
});

describe('canonical headers', () => {
  test('trims and collapses whitespace runs, tabs and line breaks included', () => {
    assert.equal(canonicalHeaderValue('  a \t  b\r\n c  '), 'a b c');
    assert.equal(canonicalHeaderValue('plain value'), 'plain value');
    assert.equal(canonicalHeaderValue('   '), '');
  });
  test('joins repeated headers with `,` in order and lists absent ones as empty', () => {
    assert.equal(
      canonicalHeaders({ host: 'h', 'my-header1': ['value4', ' value1 '] }, [
        'host',
        'my-header1',
        'x-missing',
      ]),
      'host:h\nmy-header1:value4,value1\nx-missing:\n',
    );
  });
});
