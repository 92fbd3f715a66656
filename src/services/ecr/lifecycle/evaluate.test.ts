import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluateLifecycle, ruleSelects, tagMatchesPattern, type LifecycleImage } from './evaluate.js';
import { parseLifecyclePolicy } from './policy.js';

const NOW = new Date('2026-06-30T00:00:00Z');
const DAY = 86_400_000;

/** An image pushed `daysAgo` days before NOW. */
const img = (
  digest: string,
  daysAgo: number,
  tags: string[] = [],
  pulledDaysAgo?: number,
): LifecycleImage => ({
  digest,
  tags,
  pushedAt: new Date(NOW.getTime() - daysAgo * DAY),
  ...(pulledDaysAgo !== undefined && { lastPulledAt: new Date(NOW.getTime() - pulledDaysAgo * DAY) }),
});

const rule = (priority: number, selection: Record<string, unknown>) => ({
  rulePriority: priority,
  selection,
  action: { type: 'expire' },
});
const keep = (n: number) => ({ countType: 'imageCountMoreThan', countNumber: n });
const olderThan = (days: number) => ({ countType: 'sinceImagePushed', countUnit: 'days', countNumber: days });

const cases: {
  name: string;
  rules: ReturnType<typeof rule>[];
  images: LifecycleImage[];
  expired: [digest: string, rulePriority: number][];
}[] = [
  {
    name: 'keeping the last three images expires the older ones, oldest first',
    rules: [rule(1, { tagStatus: 'any', ...keep(3) })],
    images: [img('a', 5), img('b', 4), img('c', 3), img('d', 2), img('e', 1)],
    expired: [
      ['a', 1],
      ['b', 1],
    ],
  },
  {
    name: 'a repository with no more images than the count keeps them all',
    rules: [rule(1, { tagStatus: 'any', ...keep(3) })],
    images: [img('a', 5), img('b', 4), img('c', 3)],
    expired: [],
  },
  {
    name: 'images pushed more than the given days ago expire and younger ones stay',
    rules: [rule(1, { tagStatus: 'any', ...olderThan(14) })],
    images: [img('old', 15), img('edge', 14), img('new', 1)],
    expired: [['old', 1]],
  },
  {
    name: 'an untagged rule never expires a tagged image',
    rules: [rule(1, { tagStatus: 'untagged', ...keep(1) })],
    images: [img('t1', 9, ['v1']), img('u1', 8), img('u2', 7), img('t2', 1, ['v2'])],
    expired: [['u1', 1]],
  },
  {
    name: 'a prefix list selects images with a tag starting with the prefix',
    rules: [rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod'], ...keep(1) })],
    images: [img('p1', 3, ['prod-1']), img('p2', 2, ['prod-2']), img('d1', 1, ['dev-1']), img('u', 4)],
    expired: [['p1', 1]],
  },
  {
    name: 'every prefix of a list must match some tag of the image',
    rules: [rule(1, { tagStatus: 'tagged', tagPrefixList: ['alpha', 'beta'], ...olderThan(5) })],
    images: [
      img('A', 12, ['alpha-1']),
      img('B', 11, ['beta-1']),
      img('C', 10, ['alpha-2', 'beta-2']),
      img('F', 2, ['alpha-4', 'beta-4']),
    ],
    expired: [['C', 1]],
  },
  {
    name: 'a pattern matches the whole tag with wildcards anywhere',
    rules: [rule(1, { tagStatus: 'tagged', tagPatternList: ['*-rc*'], ...keep(1) })],
    images: [img('a', 3, ['v1-rc1']), img('b', 2, ['v1-rc2']), img('c', 1, ['v1']), img('d', 4, ['rc'])],
    expired: [['a', 1]],
  },
  {
    name: 'an image expired by a higher priority rule is expired once and reported with that rule',
    rules: [
      rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod'], ...keep(1) }),
      rule(2, { tagStatus: 'tagged', tagPrefixList: ['beta'], ...keep(1) }),
    ],
    images: [
      img('A', 10, ['beta-1', 'prod-1']),
      img('B', 9, ['beta-2', 'prod-2']),
      img('C', 8, ['beta-3', 'prod-3']),
    ],
    expired: [
      ['A', 1],
      ['B', 1],
    ],
  },
  {
    name: 'a lower priority rule cannot expire an image a higher priority rule selected and kept',
    rules: [
      rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod'], ...keep(1) }),
      rule(2, { tagStatus: 'tagged', tagPrefixList: ['beta'], ...keep(1) }),
    ],
    images: [img('A', 10, ['beta-1', 'prod-1']), img('B', 9, ['beta-2', 'prod-2']), img('C', 8, ['beta-3'])],
    expired: [['A', 1]],
  },
  {
    name: 'a lower priority rule still counts the images a higher priority rule expired',
    rules: [rule(1, { tagStatus: 'untagged', ...olderThan(1) }), rule(2, { tagStatus: 'any', ...keep(2) })],
    images: [img('u-old', 10), img('t1', 9, ['a']), img('t2', 8, ['b']), img('t3', 7, ['c'])],
    // rule 2 keeps the two newest of all four (t3, t2) and picks t1 and u-old; u-old is rule 1's.
    expired: [
      ['u-old', 1],
      ['t1', 2],
    ],
  },
  {
    name: 'a keep-everything rule protects its images from an any rule with a lower priority',
    rules: [
      rule(10, { tagStatus: 'tagged', tagPrefixList: ['16.'], ...keep(9999) }),
      rule(20, { tagStatus: 'any', ...olderThan(30) }),
    ],
    images: [img('stable', 400, ['16.1']), img('unstable', 400, ['16_1']), img('fresh', 1, ['16_2'])],
    expired: [['unstable', 20]],
  },
  {
    name: 'sinceImagePulled counts from the last pull, or from the push when never pulled',
    rules: [rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 7 })],
    images: [img('pulled-lately', 30, [], 2), img('pulled-long-ago', 30, [], 20), img('never-pulled', 8)],
    expired: [
      ['pulled-long-ago', 1],
      ['never-pulled', 1],
    ],
  },
  {
    name: 'images pushed at the same time are ordered by digest so the outcome does not depend on input order',
    rules: [rule(1, { tagStatus: 'any', ...keep(1) })],
    images: [img('b', 1), img('a', 1), img('c', 1)],
    expired: [
      ['b', 1],
      ['c', 1],
    ],
  },
];

describe('lifecycle evaluation', () => {
  for (const c of cases) {
    test(c.name, () => {
      const policy = parseLifecyclePolicy(JSON.stringify({ rules: c.rules }));
      const got = evaluateLifecycle(policy, c.images, NOW).map((e) => [e.digest, e.rulePriority]);
      assert.deepEqual(got, c.expired);
      const reversed = evaluateLifecycle(policy, [...c.images].reverse(), NOW).map((e) => [
        e.digest,
        e.rulePriority,
      ]);
      assert.deepEqual(reversed, c.expired, 'the order of the input does not matter');
    });
  }

  test('an image count rule never keeps more or fewer than its count among the images it selects', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 10 }),
        (ages, n) => {
          const images = ages.map((a, i) => img(`d${String(i).padStart(2, '0')}`, a));
          const policy = parseLifecyclePolicy(
            JSON.stringify({ rules: [rule(1, { tagStatus: 'any', ...keep(n) })] }),
          );
          const expired = evaluateLifecycle(policy, images, NOW);
          assert.equal(images.length - expired.length, Math.min(n, images.length));
          const kept = images.filter((i) => !expired.some((e) => e.digest === i.digest));
          for (const e of expired) {
            const pushed = images.find((i) => i.digest === e.digest)!.pushedAt.getTime();
            for (const k of kept) assert.ok(k.pushedAt.getTime() >= pushed, 'no kept image is older');
          }
        },
      ),
    );
  });
});

describe('lifecycle evaluation invariants', () => {
  const tagged = fc.record({
    prefixes: fc.uniqueArray(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 2 }),
    keep: fc.boolean(),
    n: fc.integer({ min: 1, max: 4 }),
  });
  const policies = fc
    .record({
      tagged: fc.uniqueArray(tagged, { maxLength: 3, selector: (r) => [...r.prefixes].sort().join() }),
      untagged: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      any: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    })
    .map(({ tagged: t, untagged, any }) => {
      const rules: ReturnType<typeof rule>[] = t.map((r, i) =>
        rule(i + 1, {
          tagStatus: 'tagged',
          tagPrefixList: r.prefixes,
          ...(r.keep ? keep(r.n) : olderThan(r.n)),
        }),
      );
      if (untagged !== undefined)
        rules.push(rule(rules.length + 1, { tagStatus: 'untagged', ...keep(untagged) }));
      if (any !== undefined) rules.push(rule(rules.length + 1, { tagStatus: 'any', ...olderThan(any) }));
      return rules;
    })
    .filter((rules) => rules.length > 0);
  const images = fc.uniqueArray(
    fc.record({
      digest: fc.constantFrom(...'0123456789'.split('').map((c) => `d${c}`)),
      age: fc.integer({ min: 0, max: 8 }),
      tags: fc.uniqueArray(fc.constantFrom('a1', 'b1', 'c1', 'ab', 'x'), { maxLength: 2 }),
    }),
    { selector: (i) => i.digest, maxLength: 10 },
  );

  test('an expiry is made by a rule that selects the image, and no earlier rule selects it', () => {
    fc.assert(
      fc.property(policies, images, (rules, imgs) => {
        const policy = parseLifecyclePolicy(JSON.stringify({ rules }));
        const input = imgs.map((i) => img(i.digest, i.age, i.tags));
        const expired = evaluateLifecycle(policy, input, NOW);
        assert.equal(
          new Set(expired.map((e) => e.digest)).size,
          expired.length,
          'at most one rule per image',
        );
        for (const e of expired) {
          const image = input.find((i) => i.digest === e.digest)!;
          for (const r of policy.rules) {
            if (r.rulePriority >= e.rulePriority) continue;
            assert.ok(!ruleSelects(r, image), `rule ${r.rulePriority} selected ${e.digest} first`);
          }
          assert.ok(
            ruleSelects(
              policy.rules.find((r) => r.rulePriority === e.rulePriority)!,
              image,
            ),
          );
        }
      }),
    );
  });
});

describe('tag patterns', () => {
  const cases: { name: string; pattern: string; tag: string; expected: boolean }[] = [
    {
      name: 'a pattern without wildcards matches only the same tag',
      pattern: 'prod',
      tag: 'prod',
      expected: true,
    },
    {
      name: 'a pattern without wildcards does not match a longer tag',
      pattern: 'prod',
      tag: 'prod1',
      expected: false,
    },
    { name: 'a trailing wildcard matches any suffix', pattern: 'prod*', tag: 'prod-2026', expected: true },
    { name: 'a trailing wildcard matches the empty suffix', pattern: 'prod*', tag: 'prod', expected: true },
    { name: 'a leading wildcard matches any prefix', pattern: '*-rc', tag: 'v1-rc', expected: true },
    {
      name: 'wildcards in the middle keep the order of the parts',
      pattern: 'a*b*c',
      tag: 'acb',
      expected: false,
    },
    {
      name: 'prefix and suffix of a pattern may not overlap in the tag',
      pattern: 'ab*ba',
      tag: 'aba',
      expected: false,
    },
  ];
  for (const c of cases) test(c.name, () => assert.equal(tagMatchesPattern(c.tag, c.pattern), c.expected));

  test('matching agrees with an anchored regular expression', () => {
    const alphabet = fc.constantFrom('a', 'b', '-', '*');
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '-'), maxLength: 8 }),
        (pattern, tag) => {
          const re = new RegExp(
            `^${pattern
              .split('*')
              .map((p) => p.replace(/[-]/g, '\\-'))
              .join('.*')}$`,
            's',
          );
          assert.equal(tagMatchesPattern(tag, pattern), re.test(tag));
        },
      ),
    );
  });
});
