/**
 * The XML writer behind awsQuery responses: escaping and the value → element mapping that IAM and
 * STS use (structures as child elements, lists as `<member>`, maps as `<entry><key/><value/></entry>`,
 * timestamps as ISO-8601).
 */

import type { OutputValue } from './wire.js';

// Everything outside XML 1.0's `Char` production: C0 controls except tab, LF and CR, lone
// surrogates, U+FFFE and U+FFFF. No XML parser accepts them (not even as `&#x1;`), so they are
// replaced by U+FFFD rather than producing a document that strict parsers such as the AWS CLI's
// (expat) reject.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const MARKUP = /[&<>\r]/g;
const ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };

/**
 * Escapes text for element content. `\r` is written as `&#xD;` because parsers normalise a raw CR
 * (and CRLF) to LF; characters XML cannot carry become U+FFFD.
 */
export function escapeXmlText(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD').replace(MARKUP, (c) => ENTITY[c] ?? c);
}

/** ISO-8601 in UTC as AWS writes it: `2026-09-30T12:00:00Z`, with milliseconds only when non-zero. */
export function isoTimestamp(date: Date): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new TypeError('cannot serialize an invalid Date');
  // IAM and STS write whole seconds (`2026-09-30T12:00:00Z`); the fraction is dropped, not rounded.
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const ELEMENT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Appends `<name>value</name>` to `out`; absent values (`undefined`, `null`) write nothing. */
export function writeElement(out: string[], name: string, value: OutputValue): void {
  if (value === undefined || value === null) return;
  if (!ELEMENT_NAME.test(name)) throw new TypeError(`invalid XML element name: ${JSON.stringify(name)}`);
  const inner: string[] = [];
  writeContent(inner, value);
  out.push(inner.length === 0 ? `<${name}/>` : `<${name}>${inner.join('')}</${name}>`);
}

/** Appends the content of an element holding `value` (without the enclosing tags). */
export function writeContent(out: string[], value: OutputValue): void {
  if (value === undefined || value === null) return;
  switch (typeof value) {
    case 'string':
      out.push(escapeXmlText(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot serialize ${value} as XML`);
      out.push(String(value));
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`cannot serialize a ${typeof value} as XML`);
  }
  if (value instanceof Date) {
    out.push(isoTimestamp(value));
  } else if (Array.isArray(value)) {
    for (const item of value as readonly OutputValue[]) {
      // A list member is always written, even when empty, so that positions survive.
      if (item === undefined || item === null) continue;
      const inner: string[] = [];
      writeContent(inner, item);
      out.push(`<member>${inner.join('')}</member>`);
    }
  } else if (value instanceof Map) {
    for (const [key, item] of value as ReadonlyMap<string, OutputValue>) {
      const inner: string[] = [];
      writeElement(inner, 'value', item);
      out.push(`<entry><key>${escapeXmlText(String(key))}</key>${inner.join('')}</entry>`);
    }
  } else if (value instanceof Uint8Array) {
    out.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
  } else {
    for (const [name, item] of Object.entries(value) as [string, OutputValue][])
      writeElement(out, name, item);
  }
}
