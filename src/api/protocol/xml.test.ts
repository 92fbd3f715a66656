import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
// The XML parser the SDK v3 clients use on every awsQuery response: the oracle for escaping.
import { parseXML } from '@aws-sdk/xml-builder';
import { escapeXmlText, isoTimestamp, writeElement } from './xml.js';

const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** What a parser can get back: characters XML cannot carry are replaced by U+FFFD. */
function carried(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

/** The SDK parser's one lossy rule: whitespace-only text with a newline reads as empty. */
function sdkReads(text: string): string {
  return text.trim() === '' && text.includes('\n') ? '' : text;
}

function parseText(xml: string): unknown {
  return (parseXML(`<a>${xml}</a>`) as { a: unknown }).a;
}

describe('escapeXmlText', () => {
  const cases = [
    { name: 'markup characters become entities', input: 'a<b>&c', expected: 'a&lt;b&gt;&amp;c' },
    { name: 'quotes stay as they are in element text', input: `"'`, expected: `"'` },
    { name: 'a CR becomes a reference so that parsers keep it', input: 'a\r\nb', expected: 'a&#xD;\nb' },
    { name: 'the CDATA terminator cannot appear', input: ']]>', expected: ']]&gt;' },
    {
      name: 'characters XML cannot carry become U+FFFD',
      input: 'a\u0000b\u001b\uFFFE\uD800',
      expected: 'a\uFFFDb\uFFFD\uFFFD\uFFFD',
    },
    { name: 'astral characters are written raw', input: '😀𝄞', expected: '😀𝄞' },
  ];
  for (const c of cases) test(c.name, () => assert.equal(escapeXmlText(c.input), c.expected));

  test('any UTF-16 string reads back through the SDK parser as what XML can carry', () => {
    const anyUnits = fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    });
    fc.assert(
      fc.property(fc.oneof(anyUnits, fc.string({ unit: 'binary' })), (text) => {
        assert.equal(parseText(escapeXmlText(text)), sdkReads(carried(text)));
      }),
      { numRuns: 1000 },
    );
  });

  test('escaped text holds only XML characters and no markup but the four entities', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
        (text) => {
          const escaped = escapeXmlText(text);
          assert.equal(escaped.match(NOT_XML_CHAR), null);
          assert.match(escaped, /^(?:[^<&\r]|&(?:amp|lt|gt|#xD);)*$/u);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('isoTimestamp', () => {
  const cases = [
    {
      name: 'whole seconds have no fraction, as IAM writes them',
      date: new Date(Date.UTC(2026, 8, 30, 12)),
      expected: '2026-09-30T12:00:00Z',
    },
    {
      name: 'milliseconds are dropped, not rounded: IAM and STS write whole seconds',
      date: new Date(Date.UTC(2026, 8, 30, 12, 0, 0, 750)),
      expected: '2026-09-30T12:00:00Z',
    },
  ];
  for (const c of cases) test(c.name, () => assert.equal(isoTimestamp(c.date), c.expected));

  test('an invalid date is refused', () =>
    assert.throws(() => isoTimestamp(new Date(Number.NaN)), TypeError));
});

describe('writeElement', () => {
  test('nested structures, lists and maps parse back with the SDK parser', () => {
    const out: string[] = [];
    writeElement(out, 'Root', {
      Name: 'x&y',
      List: ['a', 'b'],
      Structs: [{ Key: 'k', Value: '' }],
      Map: new Map([['k<', 'v>']]),
      Bytes: new Uint8Array([1, 2]),
      Skipped: undefined,
    });
    assert.deepEqual(parseXML(out.join('')), {
      Root: {
        Name: 'x&y',
        List: { member: ['a', 'b'] },
        Structs: { member: { Key: 'k', Value: '' } },
        Map: { entry: { key: 'k<', value: 'v>' } },
        Bytes: 'AQI=',
      },
    });
  });

  test('absent values write nothing at all', () => {
    const out: string[] = [];
    writeElement(out, 'A', undefined);
    writeElement(out, 'B', null);
    assert.deepEqual(out, []);
  });

  test('an element name that is not an XML name is refused', () => {
    assert.throws(() => writeElement([], 'a b', 'x'), TypeError);
    assert.throws(() => writeElement([], '<x', 'x'), TypeError);
  });
});
