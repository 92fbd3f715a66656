/**
 * The awsJson1_1 protocol of ECR and Organizations: `POST /` with
 * `X-Amz-Target: <TargetPrefix>.<Operation>` and a JSON body; JSON answers with timestamps as epoch
 * seconds; errors as `{"__type": code, "message": …}` with the error's status and `x-amzn-ErrorType`.
 */
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../../services/json.js';
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

/** What distinguishes one awsJson1_1 service from another on the wire. */
export interface JsonService {
  readonly name: 'ecr' | 'ecr-public' | 'organizations' | 'secretsmanager';
  /** The part of `X-Amz-Target` before the dot (botocore `metadata.targetPrefix`). */
  readonly targetPrefix: string;
  /** The member carrying the error text: ECR's error shapes say `message`, Organizations' `Message`. */
  readonly messageKey: 'message' | 'Message';
}

/** ECR's awsJson identity (botocore `ecr/2015-09-21` metadata, error shapes with `message`). */
export const ECR_JSON: JsonService = {
  name: 'ecr',
  targetPrefix: 'AmazonEC2ContainerRegistry_V20150921',
  messageKey: 'message',
};

/** ECR Public's awsJson identity (botocore `ecr-public/2020-10-30`, error shapes with `message`). */
export const ECR_PUBLIC_JSON: JsonService = {
  name: 'ecr-public',
  targetPrefix: 'SpencerFrontendService',
  messageKey: 'message',
};

/** Organizations' awsJson identity (botocore `organizations/2016-11-28`, error shapes with `Message`). */
export const ORGANIZATIONS_JSON: JsonService = {
  name: 'organizations',
  targetPrefix: 'AWSOrganizationsV20161128',
  messageKey: 'Message',
};

/** Secrets Manager's awsJson identity (botocore `secretsmanager/2017-10-17`, error shapes with `Message`). */
export const SECRETS_MANAGER_JSON: JsonService = {
  name: 'secretsmanager',
  targetPrefix: 'secretsmanager',
  messageKey: 'Message',
};

/** Bounds checked before a body is parsed. */
export interface JsonLimits {
  /**
   * Largest accepted body. ECR's biggest input is UploadLayerPart: a blob of up to 20,971,520 bytes
   * (botocore model), about 28 MB once base64-encoded.
   */
  readonly maxBodyBytes: number;
}

/** The limits the server applies unless configured otherwise. */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxBodyBytes: 32 << 20 };

/** The two halves of an `X-Amz-Target` header. */
export interface JsonTarget {
  readonly prefix: string;
  readonly operation: string;
}

/** Splits `X-Amz-Target` into prefix and operation; undefined when the header is absent or malformed. */
export function parseTarget(header: string | undefined): JsonTarget | undefined {
  if (header === undefined) return undefined;
  const dot = header.indexOf('.');
  if (dot <= 0 || dot === header.length - 1) return undefined;
  return { prefix: header.slice(0, dot), operation: header.slice(dot + 1) };
}

/** The raw parts of an awsJson request. */
export interface JsonRequest {
  /** The `X-Amz-Target` header. */
  readonly target: string | undefined;
  readonly body?: WireBody;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a request body as a JSON object. An empty body is `{}` (the CLI sends `{}`, some clients
 * nothing); anything else that is not a JSON object is a `SerializationException`.
 */
export function parseJsonBody(
  service: JsonService,
  body: WireBody | undefined,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): Record<string, unknown> {
  if (bodyBytes(body) > limits.maxBodyBytes) {
    throw AwsError.of(
      service.name,
      'ValidationException',
      `request body is larger than the limit of ${limits.maxBodyBytes} bytes`,
    );
  }
  if (body !== undefined && jsonNestsDeeperThan(body)) {
    throw AwsError.of(
      service.name,
      'SerializationException',
      `request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`,
    );
  }
  const text = bodyText(body);
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw AwsError.of(service.name, 'SerializationException', 'request body is not valid JSON');
  }
  if (!isObject(parsed)) {
    throw AwsError.of(service.name, 'SerializationException', 'request body must be a JSON object');
  }
  return parsed;
}

interface Problems {
  readonly types: string[];
  readonly missing: string[];
}

function readScalar(shape: Shape, value: unknown, path: string, problems: Problems): unknown {
  const fail = (what: string) => {
    problems.types.push(`value at '${path}' must be ${what}`);
    return undefined;
  };
  switch (shape) {
    case 'string':
      return typeof value === 'string' ? value : fail('a string');
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : fail('an integer');
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('a boolean');
    case 'timestamp': {
      // SDKs send epoch seconds (fractions allowed); an ISO-8601 string is accepted too.
      const ms =
        typeof value === 'number'
          ? Math.round(value * 1000)
          : typeof value === 'string'
            ? Date.parse(value)
            : NaN;
      return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms) : fail('a timestamp');
    }
    case 'blob':
      return (typeof value === 'string' ? decodeBase64(value) : undefined) ?? fail('base64-encoded');
    default:
      return fail('a scalar');
  }
}

function readValue(shape: Shape, value: unknown, path: string, problems: Problems): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof shape === 'string') return readScalar(shape, value, path, problems);
  switch (shape.kind) {
    case 'list': {
      if (!Array.isArray(value)) {
        problems.types.push(`value at '${path}' must be a list`);
        return undefined;
      }
      const out: unknown[] = [];
      value.forEach((item, i) => {
        const decoded = readValue(shape.member, item, `${path}.${i + 1}.member`, problems);
        if (decoded !== undefined) out.push(decoded);
      });
      return out;
    }
    case 'map': {
      if (!isObject(value)) {
        problems.types.push(`value at '${path}' must be a map`);
        return undefined;
      }
      const entries: [string, unknown][] = [];
      for (const [key, item] of Object.entries(value)) {
        const decoded = readValue(shape.value, item, `${path}.${key}`, problems);
        if (decoded !== undefined) entries.push([key, decoded]);
      }
      // fromEntries defines own properties, so a key such as `__proto__` cannot touch a prototype.
      return Object.fromEntries(entries);
    }
    case 'structure': {
      if (!isObject(value)) {
        problems.types.push(`value at '${path}' must be a structure`);
        return undefined;
      }
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members)) {
        const { shape: inner, required } = memberShape(member);
        const at = path === '' ? name : `${path}.${name}`;
        const decoded = readValue(inner, Object.hasOwn(value, name) ? value[name] : undefined, at, problems);
        if (decoded !== undefined) out[name] = decoded;
        else if (required) problems.missing.push(missingMemberViolation(memberPath(path, name)));
      }
      return out;
    }
  }
}

/**
 * Reads a parsed body through an input shape. Members the shape does not name are ignored; a value
 * of the wrong JSON type is a `SerializationException` (as coral answers), missing required members
 * one `ValidationException` in AWS's `N validation errors detected: …` form.
 */
export function readJsonInput<S extends StructShape>(
  service: JsonService,
  shape: S,
  body: Record<string, unknown>,
): Infer<S> {
  return readInput(service, shape, body) as Infer<S>;
}

function readInput(service: JsonService, shape: StructShape, body: Record<string, unknown>): unknown {
  const problems: Problems = { types: [], missing: [] };
  const value = readValue(shape, body, '', problems);
  if (problems.types.length > 0) {
    throw AwsError.of(service.name, 'SerializationException', problems.types.join('; '));
  }
  if (problems.missing.length > 0) {
    throw AwsError.of(service.name, 'ValidationException', validationMessage(problems.missing));
  }
  return value;
}

/**
 * Decodes a whole awsJson request against a service's operation table: the result is a union
 * discriminated by `operation`. A missing or foreign target, or an operation the table lacks, is an
 * `UnknownOperationException`.
 */
export function decodeJsonOperation<Ops extends OperationShapes>(
  service: JsonService,
  operations: Ops,
  request: JsonRequest,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): DecodedOperation<Ops> {
  const target = parseTarget(request.target);
  const shape: StructShape | undefined =
    target !== undefined &&
    target.prefix === service.targetPrefix &&
    Object.hasOwn(operations, target.operation)
      ? operations[target.operation]
      : undefined;
  if (target === undefined || shape === undefined) {
    const shown = (request.target ?? '').slice(0, 128);
    throw AwsError.of(service.name, 'UnknownOperationException', `operation \`${shown}\` is not supported`);
  }
  const input = readInput(service, shape, parseJsonBody(service, request.body, limits));
  const decoded: unknown = { operation: target.operation, input };
  return decoded as DecodedOperation<Ops>;
}

/** A JSON document as `JSON.stringify` writes it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Converts an output value to JSON as awsJson1_1 writes it: `Date` → epoch seconds (a number,
 * fractional when the milliseconds are not zero), bytes → base64, `Map` → object; absent
 * (`undefined`/`null`) members are omitted rather than sent as `null`.
 */
export function toJsonValue(value: OutputValue): JsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot serialize ${value} as JSON`);
      return value;
    case 'object':
      break;
    default:
      throw new TypeError(`cannot serialize a ${typeof value} as JSON`);
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new TypeError('cannot serialize an invalid Date');
    return ms / 1000;
  }
  if (value instanceof Uint8Array) return encodeBase64(value);
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (const item of value as readonly OutputValue[]) {
      const json = toJsonValue(item);
      if (json !== undefined) out.push(json);
    }
    return out;
  }
  const entries =
    value instanceof Map ? [...(value as ReadonlyMap<string, OutputValue>)] : Object.entries(value);
  const out: { [key: string]: JsonValue } = {};
  for (const [key, item] of entries as [string, OutputValue][]) {
    const json = toJsonValue(item);
    // defineProperty keeps a key such as `__proto__` an ordinary member.
    if (json !== undefined)
      Object.defineProperty(out, key, { value: json, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Encodes a successful answer; `undefined` (an operation without output) is sent as `{}`. */
export function encodeJsonResult(result: OutputValue, requestId: string): WireResponse {
  return {
    status: 200,
    headers: { 'Content-Type': JSON_CONTENT_TYPE, 'x-amzn-RequestId': requestId },
    body: JSON.stringify(toJsonValue(result) ?? {}),
  };
}

/** Encodes an error as `{"__type": code, "message": …, …fields}` with its status and `x-amzn-ErrorType`. */
export function encodeJsonError(service: JsonService, error: AwsError, requestId: string): WireResponse {
  const body: { [key: string]: JsonValue } = { __type: error.code };
  body[service.messageKey] = error.message;
  for (const [name, value] of Object.entries(error.fields ?? {})) {
    if (name !== '__type') body[name] = value;
  }
  return {
    status: error.status,
    headers: {
      'Content-Type': JSON_CONTENT_TYPE,
      'x-amzn-RequestId': requestId,
      'x-amzn-ErrorType': error.code,
    },
    body: JSON.stringify(body),
  };
}
