/**
 * A light description of an operation's input, shared by the awsQuery and awsJson decoders.
 *
 * A shape says only what the wire needs: member names (in wire spelling), scalar types, lists,
 * maps, nesting and which members are required. Constraints (lengths, patterns, ranges) are
 * business rules and stay in the services. TypeScript infers the decoded type from the shape:
 *
 * ```ts
 * const AssumeRole = struct({
 *   RoleArn: required('string'),
 *   DurationSeconds: 'integer',
 *   Tags: list(struct({ Key: required('string'), Value: required('string') })),
 * });
 * type Input = Infer<typeof AssumeRole>; // { RoleArn: string; DurationSeconds?: number; Tags?: {...}[] }
 * ```
 */

/** Leaf types: `timestamp` decodes to a `Date`, `blob` (base64 on the wire) to bytes. */
export type ScalarShape = 'string' | 'integer' | 'boolean' | 'timestamp' | 'blob';

/** A list (awsQuery `Name.member.N`, JSON array). */
export interface ListShape<M extends Shape = Shape> {
  readonly kind: 'list';
  readonly member: M;
}

/** A string-keyed map (awsQuery `Name.entry.N.key/value`, JSON object). */
export interface MapShape<V extends Shape = Shape> {
  readonly kind: 'map';
  readonly value: V;
}

/** A member that must be present; a missing one is a validation error. */
export interface RequiredMember<S extends Shape = Shape> {
  readonly kind: 'required';
  readonly shape: S;
}

/** The members of a structure, keyed by their wire names. */
export type Members = { readonly [name: string]: Shape | RequiredMember };

/** A structure (awsQuery `Name.Member`, JSON object); operation inputs are structures. */
export interface StructShape<M extends Members = Members> {
  readonly kind: 'structure';
  readonly members: M;
}

/** Any shape. */
export type Shape = ScalarShape | ListShape | MapShape | StructShape;

/** Declares a list shape. */
export function list<M extends Shape>(member: M): ListShape<M> {
  return { kind: 'list', member };
}

/** Declares a map shape (keys are strings). */
export function map<V extends Shape>(value: V): MapShape<V> {
  return { kind: 'map', value };
}

/** Declares a structure shape. */
export function struct<M extends Members>(members: M): StructShape<M> {
  return { kind: 'structure', members };
}

/** Marks a structure member as required. */
export function required<S extends Shape>(shape: S): RequiredMember<S> {
  return { kind: 'required', shape };
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type RequiredKeys<M extends Members> = {
  [K in keyof M]: M[K] extends RequiredMember ? K : never;
}[keyof M];

type Unwrap<X> = X extends RequiredMember<infer S> ? S : X;

type InferStruct<M extends Members> = Simplify<
  { -readonly [K in RequiredKeys<M>]: Infer<Unwrap<M[K]>> } & {
    -readonly [K in Exclude<keyof M, RequiredKeys<M>>]?: Infer<Unwrap<M[K]>>;
  }
>;

/**
 * The TypeScript type a decoder produces for a shape. A shape only known as the wide `Shape`
 * yields `unknown`, which also keeps the recursion finite for generic code.
 */
export type Infer<S> = [Shape] extends [S] ? unknown : InferShape<S>;

type InferShape<S> = S extends 'string'
  ? string
  : S extends 'integer'
    ? number
    : S extends 'boolean'
      ? boolean
      : S extends 'timestamp'
        ? Date
        : S extends 'blob'
          ? Uint8Array
          : S extends ListShape<infer M>
            ? Infer<M>[]
            : S extends MapShape<infer V>
              ? Record<string, Infer<V>>
              : S extends StructShape<infer M>
                ? InferStruct<M>
                : never;

/** The input shapes of a service's operations, keyed by operation name (`AssumeRole`). */
export type OperationShapes = { readonly [operation: string]: StructShape };

/** A decoded request: a union discriminated by `operation`, so a `switch` narrows `input`. */
export type DecodedOperation<Ops extends OperationShapes> = {
  [K in keyof Ops & string]: { readonly operation: K; readonly input: Infer<Ops[K]> };
}[keyof Ops & string];

/** Splits a member entry into its shape and whether it is required. */
export function memberShape(member: Shape | RequiredMember): { shape: Shape; required: boolean } {
  if (typeof member === 'object' && member.kind === 'required')
    return { shape: member.shape, required: true };
  return { shape: member, required: false };
}

/**
 * The path AWS names in validation messages: lowerCamel member names, list positions as
 * `tags.1.member.key` (1-based, as in AWS's messages).
 */
export function memberPath(parent: string, name: string): string {
  const camel = name.charAt(0).toLowerCase() + name.slice(1);
  return parent === '' ? camel : `${parent}.${camel}`;
}

/** Joins violations the way AWS does: `2 validation errors detected: …; …`. */
export function validationMessage(violations: readonly string[]): string {
  const n = violations.length;
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${violations.join('; ')}`;
}

/** AWS's sentence for a required member that is absent. */
export function missingMemberViolation(path: string): string {
  return `Value null at '${path}' failed to satisfy constraint: Member must not be null`;
}

/**
 * Base64 characters then at most two `=`; with the length a multiple of 4 this is exactly strict
 * padded base64. A flat character class, not groups of four: V8 backtracks through a repeated
 * group recursively and overflows its stack on megabytes of text (a 4 MiB `layerPartBlob`).
 */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes strict base64 (the SDKs' blob encoding); undefined when the text is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Encodes bytes as base64 for a blob member. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
