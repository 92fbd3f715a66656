// Properties: for any input shape (nested structures, lists, maps, every scalar) and any value of
// it, decoding what the encoder wrote gives the value back, for awsQuery forms and awsJson bodies.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { list, map, required, struct, type Members, type Shape, type StructShape } from './shape.js';
import { decodeQueryOperation, DEFAULT_QUERY_LIMITS, encodeQueryRequest, IAM_QUERY } from './awsQuery.js';

/** Generated shapes nest deeper than any IAM/STS parameter; the depth limit has its own tests. */
const DEEP = { ...DEFAULT_QUERY_LIMITS, maxNameDepth: 256 };
import { decodeJsonOperation, ECR_JSON, toJsonValue } from './awsJson.js';

const memberName = fc
  .stringMatching(/^[A-Za-z][A-Za-z0-9]{0,7}$/)
  .filter((n) => n !== 'Action' && n !== 'Version');
const scalar = fc.constantFrom<Shape>('string', 'integer', 'boolean', 'timestamp', 'blob');

// Every structure has at least one required member, so a structure value is never empty: an empty
// structure (like an empty map) has no awsQuery encoding at all, in crossdock as in the SDKs.
const shapes = fc.letrec<{ shape: Shape; struct: StructShape }>((tie) => ({
  shape: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    tie('shape').map((member) => list(member)),
    tie('shape').map((value) => map(value)),
    tie('struct'),
  ),
  struct: fc
    .uniqueArray(fc.tuple(memberName, tie('shape')), {
      minLength: 1,
      maxLength: 4,
      selector: ([name]) => name,
    })
    .map((entries) => {
      const members: Record<string, Members[string]> = {};
      entries.forEach(([name, shape], i) => (members[name] = i === 0 ? required(shape) : shape));
      return struct(members);
    }),
}));

function valueOf(shape: Shape, text: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  if (typeof shape === 'string') {
    switch (shape) {
      case 'string':
        return text;
      case 'integer':
        return fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
      case 'boolean':
        return fc.boolean();
      case 'timestamp':
        // Whole seconds: awsQuery answers carry no fraction (IAM's form); awsJson's fractional
        // epoch seconds are covered by sdk.integ.test.ts.
        return fc
          .date({
            min: new Date('1970-01-01T00:00:00Z'),
            max: new Date('9999-12-31T23:59:59Z'),
            noInvalidDate: true,
          })
          .map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000));
      case 'blob':
        return fc.uint8Array({ maxLength: 16 });
    }
  }
  switch (shape.kind) {
    case 'list':
      return fc.array(valueOf(shape.member, text), { maxLength: 3 });
    case 'map':
      return fc.dictionary(text, valueOf(shape.value, text), {
        minKeys: 1,
        maxKeys: 3,
        noNullPrototype: true,
      });
    case 'structure': {
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      const requiredKeys: string[] = [];
      for (const [name, member] of Object.entries(shape.members)) {
        const inner =
          typeof member === 'object' && member.kind === 'required' ? member.shape : (member as Shape);
        if (inner !== member) requiredKeys.push(name);
        model[name] = valueOf(inner, text);
      }
      return fc.record(model, { requiredKeys, noNullPrototype: true });
    }
  }
}

const anyText = fc.string({ unit: 'binary', maxLength: 12 });
const cases = shapes.struct.chain((shape) => fc.tuple(fc.constant(shape), valueOf(shape, anyText)));

describe('round trips', () => {
  test('awsQuery: decode ∘ encode is the identity on any shape and value', () => {
    fc.assert(
      fc.property(cases, ([shape, value]) => {
        const body = encodeQueryRequest(IAM_QUERY, 'Op', shape, value as never);
        assert.deepEqual(decodeQueryOperation(IAM_QUERY, { Op: shape }, { body: Buffer.from(body) }, DEEP), {
          operation: 'Op',
          input: value,
        });
      }),
      { numRuns: 300 },
    );
  });

  test('awsJson: decode ∘ encode is the identity on any shape and value', () => {
    const withSurrogates = fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    });
    const jsonCases = shapes.struct.chain((shape) =>
      fc.tuple(fc.constant(shape), valueOf(shape, fc.oneof(anyText, withSurrogates))),
    );
    fc.assert(
      fc.property(jsonCases, ([shape, value]) => {
        const body = JSON.stringify(toJsonValue(value as object));
        const target = `${ECR_JSON.targetPrefix}.Op`;
        assert.deepEqual(decodeJsonOperation(ECR_JSON, { Op: shape }, { target, body }), {
          operation: 'Op',
          input: value,
        });
      }),
      { numRuns: 300 },
    );
  });
});
