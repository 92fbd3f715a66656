/**
 * The awsQuery protocol of IAM and STS: form-encoded requests, XML responses and errors.
 *
 * Decoding is two steps. `parseQueryRequest` turns the form (body and/or query string) into a tree
 * keyed by the dot-separated parameter names (`Tags.member.1.Key` → Tags → member → 1 → Key) and
 * pulls out `Action` and `Version`; `readQueryInput` reads the tree through an operation's input
 * shape into a plain typed object (lists from `member.N`, maps from `entry.N.key/value`).
 * Encoding mirrors the real services byte for byte in structure:
 * `<XResponse xmlns=…><XResult>…</XResult><ResponseMetadata><RequestId>…`.
 */
import { AwsError } from './errors.js';
import type { DecodedOperation, Infer, OperationShapes, Shape, StructShape } from './shape.js';
import {
  decodeBase64,
  encodeBase64,
  memberPath,
  memberShape,
  missingMemberViolation,
  validationMessage,
} from './shape.js';
import type { OutputValue, WireBody, WireResponse } from './wire.js';
import { bodyBytes, bodyText } from './wire.js';
import { escapeXmlText, isoTimestamp, writeContent, writeElement } from './xml.js';

/** What distinguishes one awsQuery service from another on the wire. */
export interface QueryService {
  readonly name: 'iam' | 'sts';
  /** The `Version` parameter clients send. */
  readonly version: string;
  /** The `xmlns` of every response and error document. */
  readonly namespace: string;
}

/** IAM's awsQuery identity (botocore `iam/2010-05-08` metadata). */
export const IAM_QUERY: QueryService = {
  name: 'iam',
  version: '2010-05-08',
  namespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
};

/** STS's awsQuery identity (botocore `sts/2011-06-15` metadata). */
export const STS_QUERY: QueryService = {
  name: 'sts',
  version: '2011-06-15',
  namespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
};

/** Bounds that keep a hostile form from costing more than a normal one. */
export interface QueryLimits {
  /** Largest accepted body; IAM's biggest inputs (policy documents, ≤ 131,072 chars) fit easily. */
  readonly maxBodyBytes: number;
  /** Most `name=value` pairs accepted (body and query string together). */
  readonly maxParameters: number;
  /** Most dot-separated segments in one parameter name. */
  readonly maxNameDepth: number;
}

/** The limits the server applies unless configured otherwise. */
export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxBodyBytes: 1 << 20,
  maxParameters: 10_000,
  maxNameDepth: 16,
};

/** One node of the parameter tree: a value, children, or both (`Tags=` and `Tags.member.1=`). */
export interface QueryNode {
  value: string | undefined;
  readonly children: Map<string, QueryNode>;
}

/** The raw parts of an awsQuery request; parameters may sit in the body (POST) or query (GET). */
export interface QueryRequest {
  readonly body?: WireBody;
  /** The URL's query string, with or without the leading `?`. */
  readonly query?: string;
}

/** A request whose form has been parsed but not yet read through a shape. */
export interface ParsedQuery {
  readonly action: string;
  readonly version: string | undefined;
  /** The root of the parameter tree (`Action` and `Version` included). */
  readonly params: QueryNode;
}

function newNode(): QueryNode {
  return { value: undefined, children: new Map() };
}

function addParam(root: QueryNode, name: string, value: string, limits: QueryLimits, service: QueryService) {
  const segments = name.split('.');
  if (segments.length > limits.maxNameDepth) {
    throw AwsError.of(
      service.name,
      'ValidationError',
      `parameter name \`${name.slice(0, 200)}\` has more than ${limits.maxNameDepth} parts`,
    );
  }
  let node = root;
  for (const segment of segments) {
    let child = node.children.get(segment);
    if (child === undefined) {
      child = newNode();
      node.children.set(segment, child);
    }
    node = child;
  }
  node.value = value;
}

/**
 * Parses the form parameters of an awsQuery request into a tree and extracts `Action`/`Version`.
 * Query-string parameters come first, body parameters override them. Throws AWS-shaped errors:
 * `ValidationError` for an oversized or overlong form, `MissingAction` without an `Action`.
 */
export function parseQueryRequest(
  service: QueryService,
  request: QueryRequest,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): ParsedQuery {
  if (bodyBytes(request.body) > limits.maxBodyBytes) {
    throw AwsError.of(
      service.name,
      'ValidationError',
      `request body is larger than the limit of ${limits.maxBodyBytes} bytes`,
    );
  }
  const root = newNode();
  let count = 0;
  for (const text of [request.query ?? '', bodyText(request.body)]) {
    for (const [name, value] of new URLSearchParams(text)) {
      if (++count > limits.maxParameters) {
        throw AwsError.of(
          service.name,
          'ValidationError',
          `request has more than ${limits.maxParameters} parameters`,
        );
      }
      addParam(root, name, value, limits, service);
    }
  }
  const action = root.children.get('Action')?.value;
  if (action === undefined || action === '') {
    throw AwsError.of(service.name, 'MissingAction', 'the request must contain the parameter `Action`');
  }
  return { action, version: root.children.get('Version')?.value, params: root };
}

const INTEGER = /^[+-]?\d{1,16}$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/i;
const INDEX = /^[1-9]\d{0,9}$/;

function quote(value: string): string {
  return value.length > 100 ? `'${value.slice(0, 100)}…'` : `'${value}'`;
}

/** The child nodes under `node.<segment>.N`, in numeric order of N. */
function indexed(node: QueryNode, segment: string): [string, QueryNode][] {
  const container = node.children.get(segment);
  if (container === undefined) return [];
  return [...container.children]
    .filter(([index]) => INDEX.test(index))
    .sort(([a], [b]) => Number(a) - Number(b));
}

function readScalar(shape: Shape, value: string, path: string, violations: string[]): unknown {
  const fail = (what: string) => {
    violations.push(
      `Value ${quote(value)} at '${path}' failed to satisfy constraint: Member must be ${what}`,
    );
    return undefined;
  };
  switch (shape) {
    case 'string':
      return value;
    case 'integer': {
      const n = Number(value);
      return INTEGER.test(value) && Number.isSafeInteger(n) ? n : fail('an integer');
    }
    case 'boolean': {
      const lower = value.toLowerCase();
      return lower === 'true' ? true : lower === 'false' ? false : fail('a boolean');
    }
    case 'timestamp': {
      const ms = ISO_8601.test(value) ? Date.parse(value) : NaN;
      return Number.isFinite(ms) ? new Date(ms) : fail('an ISO-8601 timestamp');
    }
    case 'blob':
      return decodeBase64(value) ?? fail('base64-encoded');
    default:
      return fail('a structure');
  }
}

function readNode(shape: Shape, node: QueryNode | undefined, path: string, violations: string[]): unknown {
  if (node === undefined) return undefined;
  if (typeof shape === 'string') {
    return node.value === undefined ? undefined : readScalar(shape, node.value, path, violations);
  }
  switch (shape.kind) {
    case 'list': {
      const items = indexed(node, 'member');
      if (items.length === 0 && node.value !== undefined && node.value !== '') {
        violations.push(
          `Value ${quote(node.value)} at '${path}' failed to satisfy constraint: Member must be a list`,
        );
        return undefined;
      }
      const out: unknown[] = [];
      for (const [index, item] of items) {
        const value = readNode(shape.member, item, `${path}.${index}.member`, violations);
        if (value !== undefined) out.push(value);
      }
      return out;
    }
    case 'map': {
      const entries: [string, unknown][] = [];
      for (const [index, entry] of indexed(node, 'entry')) {
        const at = `${path}.${index}.entry`;
        const key = entry.children.get('key')?.value;
        const value = readNode(shape.value, entry.children.get('value'), `${at}.value`, violations);
        if (key === undefined) violations.push(missingMemberViolation(`${at}.key`));
        else if (value === undefined) violations.push(missingMemberViolation(`${at}.value`));
        else entries.push([key, value]);
      }
      // fromEntries defines own properties, so a key such as `__proto__` cannot touch a prototype.
      return Object.fromEntries(entries);
    }
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members)) {
        const { shape: inner, required } = memberShape(member);
        const at = memberPath(path, name);
        const value = readNode(inner, node.children.get(name), at, violations);
        if (value !== undefined) out[name] = value;
        else if (required) violations.push(missingMemberViolation(at));
      }
      return out;
    }
  }
}

/**
 * Reads a parsed parameter tree through an input shape. Parameters the shape does not name are
 * ignored (as AWS does); missing required members and unparsable scalars are collected into one
 * `ValidationError` in AWS's `N validation errors detected: …` form.
 */
export function readQueryInput<S extends StructShape>(
  service: QueryService,
  shape: S,
  params: QueryNode,
): Infer<S> {
  return readInput(service, shape, params) as Infer<S>;
}

function readInput(service: QueryService, shape: StructShape, params: QueryNode): unknown {
  const violations: string[] = [];
  const value = readNode(shape, params, '', violations);
  if (violations.length > 0)
    throw AwsError.of(service.name, 'ValidationError', validationMessage(violations));
  return value;
}

/**
 * Decodes a whole awsQuery request against a service's operation table: the result is a union
 * discriminated by `operation`. Unknown actions, and a `Version` other than the service's, answer
 * `InvalidAction` with AWS's message.
 */
export function decodeQueryOperation<Ops extends OperationShapes>(
  service: QueryService,
  operations: Ops,
  request: QueryRequest,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): DecodedOperation<Ops> {
  const parsed = parseQueryRequest(service, request, limits);
  const version = parsed.version ?? service.version;
  const shape: StructShape | undefined = Object.hasOwn(operations, parsed.action)
    ? operations[parsed.action]
    : undefined;
  if (shape === undefined || version !== service.version) {
    throw AwsError.of(
      service.name,
      'InvalidAction',
      `Could not find operation ${parsed.action.slice(0, 128)} for version ${version.slice(0, 32)}`,
    );
  }
  const input = readInput(service, shape, parsed.params);
  const decoded: unknown = { operation: parsed.action, input };
  return decoded as DecodedOperation<Ops>;
}

const XML_HEADERS = (requestId: string) => ({ 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId });

/**
 * Encodes a successful answer. `result` holds the output members in AWS's order (plain objects are
 * structures, arrays lists, `Map`s maps, `Date`s ISO-8601); `undefined` means the operation has no
 * output, and the `<{Action}Result>` element is left out as AWS does (e.g. IAM `PutRolePolicy`).
 */
export function encodeQueryResult(
  service: QueryService,
  action: string,
  result: OutputValue,
  requestId: string,
): WireResponse {
  const out = [`<${action}Response xmlns="${service.namespace}">`];
  if (result !== undefined && result !== null) {
    const inner: string[] = [];
    writeContent(inner, result);
    out.push(
      inner.length === 0 ? `<${action}Result/>` : `<${action}Result>${inner.join('')}</${action}Result>`,
    );
  }
  out.push(`<ResponseMetadata><RequestId>${escapeXmlText(requestId)}</RequestId></ResponseMetadata>`);
  out.push(`</${action}Response>`);
  return { status: 200, headers: XML_HEADERS(requestId), body: out.join('') };
}

/** Encodes an error as `<ErrorResponse>` with the error's status; `Type` is Sender or Receiver. */
export function encodeQueryError(service: QueryService, error: AwsError, requestId: string): WireResponse {
  const out = [`<ErrorResponse xmlns="${service.namespace}"><Error>`];
  writeElement(out, 'Type', error.fault === 'server' ? 'Receiver' : 'Sender');
  writeElement(out, 'Code', error.code);
  writeElement(out, 'Message', error.message);
  if (error.fields !== undefined) {
    for (const [name, value] of Object.entries(error.fields)) writeElement(out, name, value);
  }
  out.push(`</Error><RequestId>${escapeXmlText(requestId)}</RequestId></ErrorResponse>`);
  return { status: error.status, headers: XML_HEADERS(requestId), body: out.join('') };
}

// RFC 3986 unreserved characters stay; everything else is percent-encoded, as the SDKs do.
function formEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function encodeValue(shape: Shape, value: unknown, name: string, out: string[]): void {
  if (value === undefined || value === null) return;
  const put = (text: string) => out.push(`${formEncode(name)}=${formEncode(text)}`);
  if (typeof shape === 'string') {
    if (shape === 'timestamp') put(isoTimestamp(value as Date));
    else if (shape === 'blob') put(encodeBase64(value as Uint8Array));
    else put(String(value));
    return;
  }
  switch (shape.kind) {
    case 'list': {
      const items = value as readonly unknown[];
      if (items.length === 0) put('');
      items.forEach((item, i) => encodeValue(shape.member, item, `${name}.member.${i + 1}`, out));
      return;
    }
    case 'map':
      Object.entries(value as Record<string, unknown>).forEach(([key, item], i) => {
        out.push(`${formEncode(`${name}.entry.${i + 1}.key`)}=${formEncode(key)}`);
        encodeValue(shape.value, item, `${name}.entry.${i + 1}.value`, out);
      });
      return;
    case 'structure':
      for (const [member, inner] of Object.entries(shape.members)) {
        const field = (value as Record<string, unknown>)[member];
        encodeValue(memberShape(inner).shape, field, name === '' ? member : `${name}.${member}`, out);
      }
      return;
  }
}

/**
 * Encodes an operation's input as the form body an SDK would send (`Action=…&Version=…&…`), the
 * inverse of `decodeQueryOperation`. Used by tests and tools that talk awsQuery without an SDK.
 */
export function encodeQueryRequest<S extends StructShape>(
  service: QueryService,
  action: string,
  shape: S,
  input: Infer<S>,
): string {
  const out = [`Action=${formEncode(action)}`, `Version=${formEncode(service.version)}`];
  encodeValue(shape, input, '', out);
  return out.join('&');
}
