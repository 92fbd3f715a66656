import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LifecyclePolicyError, parseLifecyclePolicy } from './policy.js';

type RuleIn = Record<string, unknown>;

const rule = (priority: number, selection: Record<string, unknown>, extra: RuleIn = {}): RuleIn => ({
  rulePriority: priority,
  selection,
  action: { type: 'expire' },
  ...extra,
});
const count = { countType: 'imageCountMoreThan', countNumber: 3 };
const age = { countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 };
const policy = (...rules: RuleIn[]): string => JSON.stringify({ rules });

const valid: { name: string; text: string; priorities: number[] }[] = [
  {
    name: 'a rule that keeps the last three images of any tag status is accepted',
    text: policy(rule(1, { tagStatus: 'any', ...count })),
    priorities: [1],
  },
  {
    name: 'a tagged rule with a prefix list is accepted',
    text: policy(rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod'], ...count })),
    priorities: [1],
  },
  {
    name: 'a tagged rule with a pattern of four wildcards is accepted',
    text: policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['*test*1*2*3'], ...age })),
    priorities: [1],
  },
  {
    name: 'priorities need not be consecutive and come back sorted',
    text: policy(
      rule(20, { tagStatus: 'any', ...age }),
      rule(10, { tagStatus: 'untagged', ...count }),
      rule(15, { tagStatus: 'tagged', tagPrefixList: ['v'], ...count }),
    ),
    priorities: [10, 15, 20],
  },
  {
    name: 'sinceImagePulled with days is accepted',
    text: policy(
      rule(1, { tagStatus: 'untagged', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 1 }),
    ),
    priorities: [1],
  },
  {
    name: 'a description and the standard storage class are accepted',
    text: policy(
      rule(1, { tagStatus: 'any', storageClass: 'standard', ...count }, { description: 'keep 3' }),
    ),
    priorities: [1],
  },
  {
    name: 'the same prefix may appear in two rules with different prefix sets',
    text: policy(
      rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod'], ...count }),
      rule(2, { tagStatus: 'tagged', tagPrefixList: ['prod', 'beta'], ...count }),
    ),
    priorities: [1, 2],
  },
];

const invalid: { name: string; text: string }[] = [
  { name: 'text that is not JSON is refused', text: '{"rules": [' },
  { name: 'a policy without rules is refused', text: '{"rules": []}' },
  {
    name: 'a member beside rules is refused',
    text: JSON.stringify({ rules: [rule(1, { tagStatus: 'any', ...count })], x: 1 }),
  },
  { name: 'a rule priority of zero is refused', text: policy(rule(0, { tagStatus: 'any', ...count })) },
  { name: 'a fractional rule priority is refused', text: policy(rule(1.5, { tagStatus: 'any', ...count })) },
  {
    name: 'two rules with the same priority are refused',
    text: policy(
      rule(1, { tagStatus: 'untagged', ...count }),
      rule(1, { tagStatus: 'tagged', tagPrefixList: ['a'], ...count }),
    ),
  },
  {
    name: 'a tagged rule with neither list is refused',
    text: policy(rule(1, { tagStatus: 'tagged', ...count })),
  },
  {
    name: 'a tagged rule with both lists is refused',
    text: policy(rule(1, { tagStatus: 'tagged', tagPrefixList: ['a'], tagPatternList: ['a*'], ...count })),
  },
  {
    name: 'a tagged rule with an empty prefix list is refused',
    text: policy(rule(1, { tagStatus: 'tagged', tagPrefixList: [], ...count })),
  },
  {
    name: 'an untagged rule with a prefix list is refused',
    text: policy(rule(1, { tagStatus: 'untagged', tagPrefixList: ['a'], ...count })),
  },
  {
    name: 'an any rule with a pattern list is refused',
    text: policy(rule(1, { tagStatus: 'any', tagPatternList: ['a*'], ...count })),
  },
  {
    name: 'a pattern with five wildcards is refused',
    text: policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['test*1*2*3*4*'], ...count })),
  },
  { name: 'an unknown tag status is refused', text: policy(rule(1, { tagStatus: 'TAGGED', ...count })) },
  {
    name: 'two rules selecting untagged images are refused',
    text: policy(rule(1, { tagStatus: 'untagged', ...count }), rule(2, { tagStatus: 'untagged', ...age })),
  },
  {
    name: 'an any rule that is not the highest priority is refused',
    text: policy(rule(1, { tagStatus: 'any', ...count }), rule(2, { tagStatus: 'untagged', ...age })),
  },
  {
    name: 'two any rules are refused',
    text: policy(rule(1, { tagStatus: 'any', ...count }), rule(2, { tagStatus: 'any', ...age })),
  },
  {
    name: 'two rules with the same set of prefixes are refused',
    text: policy(
      rule(1, { tagStatus: 'tagged', tagPrefixList: ['a', 'b'], ...count }),
      rule(2, { tagStatus: 'tagged', tagPrefixList: ['b', 'a'], ...age }),
    ),
  },
  {
    name: 'countUnit with imageCountMoreThan is refused',
    text: policy(rule(1, { tagStatus: 'any', ...count, countUnit: 'days' })),
  },
  {
    name: 'sinceImagePushed without countUnit is refused',
    text: policy(rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 3 })),
  },
  {
    name: 'a countUnit other than days is refused',
    text: policy(
      rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'hours', countNumber: 3 }),
    ),
  },
  {
    name: 'a countNumber of zero is refused',
    text: policy(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 0 })),
  },
  {
    name: 'a missing countNumber is refused',
    text: policy(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan' })),
  },
  {
    name: 'an unknown count type is refused',
    text: policy(rule(1, { tagStatus: 'any', countType: 'imageCountLessThan', countNumber: 1 })),
  },
  {
    name: 'the transition action is refused as crossdock has no archive class',
    text: policy(
      rule(
        1,
        { tagStatus: 'any', ...count },
        { action: { type: 'transition', targetStorageClass: 'archive' } },
      ),
    ),
  },
  {
    name: 'sinceImageTransitioned is refused as crossdock has no archive class',
    text: policy(
      rule(1, { tagStatus: 'any', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 1 }),
    ),
  },
  {
    name: 'a rule without an action is refused',
    text: JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', ...count } }] }),
  },
  {
    name: 'an unknown selection member is refused',
    text: policy(rule(1, { tagStatus: 'any', ...count, tagList: ['a'] })),
  },
];

describe('lifecycle policy grammar', () => {
  for (const c of valid) {
    test(c.name, () => {
      const p = parseLifecyclePolicy(c.text);
      assert.deepEqual(
        p.rules.map((r) => r.rulePriority),
        c.priorities,
      );
    });
  }
  for (const c of invalid) {
    test(c.name, () => {
      assert.throws(() => parseLifecyclePolicy(c.text), LifecyclePolicyError);
    });
  }
});
