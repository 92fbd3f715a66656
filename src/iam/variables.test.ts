import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lookupFromRecord, type ContextValue } from './context.js';
import { compileArnConditionPattern, compilePattern, type MatchMode } from './variables.js';

const ctx = lookupFromRecord({
  'aws:username': 'alice',
  'aws:PrincipalTag/team': 'Platform',
  'aws:PrincipalTag/star': 'a*b',
  'aws:PrincipalTag/empty': '',
  'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/ci',
  'aws:TagKeys': ['a', 'b'],
});

const cases: {
  name: string;
  pattern: string;
  mode: MatchMode;
  value: string;
  expected: boolean;
  variables?: boolean;
  context?: Record<string, ContextValue>;
}[] = [
  // variables
  {
    name: 'a variable is replaced by the value of its key',
    pattern: 'home/${aws:username}/*',
    mode: 'glob',
    value: 'home/alice/x',
    expected: true,
  },
  {
    name: 'a variable key is looked up case-insensitively',
    pattern: 'home/${AWS:UserName}',
    mode: 'exact',
    value: 'home/alice',
    expected: true,
  },
  {
    name: 'a substituted value keeps its case',
    pattern: '${aws:PrincipalTag/team}',
    mode: 'exact',
    value: 'platform',
    expected: false,
  },
  {
    name: 'ignore-case modes fold substituted text too',
    pattern: '${aws:PrincipalTag/team}',
    mode: 'exactIgnoreCase',
    value: 'PLATFORM',
    expected: true,
  },
  {
    name: 'an unresolvable variable matches nothing',
    pattern: '${aws:SourceIdentity}',
    mode: 'glob',
    value: '',
    expected: false,
  },
  {
    name: 'an unresolvable variable matches nothing even beside a star',
    pattern: '*${aws:SourceIdentity}*',
    mode: 'glob',
    value: 'anything',
    expected: false,
  },
  {
    name: 'a multi-valued key cannot be substituted',
    pattern: '${aws:TagKeys}',
    mode: 'exact',
    value: 'a',
    expected: false,
  },
  {
    name: 'the default replaces an absent key',
    pattern: "${aws:PrincipalTag/owner, 'company-wide'}",
    mode: 'exact',
    value: 'company-wide',
    expected: true,
  },
  {
    name: 'the default replaces a multi-valued key',
    pattern: "${aws:TagKeys, 'none'}",
    mode: 'exact',
    value: 'none',
    expected: true,
  },
  {
    name: 'the default is ignored when the key has a value',
    pattern: "${aws:username, 'nobody'}",
    mode: 'exact',
    value: 'alice',
    expected: true,
  },
  {
    name: 'the default keeps its case and inner spaces',
    pattern: "${aws:x,'Company Wide'}",
    mode: 'exact',
    value: 'Company Wide',
    expected: true,
  },
  {
    name: 'an unquoted default is no default',
    pattern: '${aws:x, nobody}',
    mode: 'exact',
    value: 'nobody',
    expected: false,
  },
  {
    name: 'an empty tag value substitutes as empty text',
    pattern: 'x${aws:PrincipalTag/empty}y',
    mode: 'exact',
    value: 'xy',
    expected: true,
  },
  {
    name: 'a star inside a substituted value is literal',
    pattern: '${aws:PrincipalTag/star}',
    mode: 'glob',
    value: 'aXXb',
    expected: false,
  },
  {
    name: 'a star inside a substituted value matches itself',
    pattern: '${aws:PrincipalTag/star}',
    mode: 'glob',
    value: 'a*b',
    expected: true,
  },
  {
    name: 'a variable can hold a whole ARN in arn mode',
    pattern: '${aws:PrincipalArn}',
    mode: 'arn',
    value: 'arn:aws:iam::111122223333:role/ci',
    expected: true,
  },
  // escapes
  {
    name: 'the escape ${*} is a literal star',
    pattern: 'a${*}b',
    mode: 'glob',
    value: 'a*b',
    expected: true,
  },
  {
    name: 'the escape ${*} is not a wildcard',
    pattern: 'a${*}b',
    mode: 'glob',
    value: 'aXb',
    expected: false,
  },
  {
    name: 'the escape ${?} is a literal question mark',
    pattern: 'a${?}',
    mode: 'glob',
    value: 'aX',
    expected: false,
  },
  {
    name: 'the escape ${?} matches a question mark',
    pattern: 'a${?}',
    mode: 'glob',
    value: 'a?',
    expected: true,
  },
  {
    name: 'the escape ${$} is a literal dollar',
    pattern: '${$}{x}',
    mode: 'exact',
    value: '${x}',
    expected: true,
  },
  {
    name: 'an unterminated ${ is literal text',
    pattern: 'a${b',
    mode: 'exact',
    value: 'a${b',
    expected: true,
  },
  // 2008-10-17
  {
    name: 'in 2008-10-17 a variable is literal text',
    pattern: 'home/${aws:username}',
    mode: 'exact',
    value: 'home/${aws:username}',
    variables: false,
    expected: true,
  },
  {
    name: 'in 2008-10-17 a variable is not substituted',
    pattern: 'home/${aws:username}',
    mode: 'exact',
    value: 'home/alice',
    variables: false,
    expected: false,
  },
  {
    name: 'in 2008-10-17 a star inside ${*} is still a wildcard',
    pattern: 'a${*}',
    mode: 'glob',
    value: 'a${anything}',
    variables: false,
    expected: true,
  },
  // modes
  {
    name: 'exact mode treats a star as a character',
    pattern: 'a*',
    mode: 'exact',
    value: 'abc',
    expected: false,
  },
  {
    name: 'exact mode matches a star with a star',
    pattern: 'a*',
    mode: 'exact',
    value: 'a*',
    expected: true,
  },
  { name: 'glob mode is case-sensitive', pattern: 'Prod-*', mode: 'glob', value: 'prod-1', expected: false },
  {
    name: 'globIgnoreCase folds case',
    pattern: 'Prod-*',
    mode: 'globIgnoreCase',
    value: 'PROD-1',
    expected: true,
  },
  // arn
  {
    name: 'an arn pattern that is exactly * matches anything',
    pattern: '*',
    mode: 'arn',
    value: 'not an arn',
    expected: true,
  },
  {
    name: 'an arn matches itself',
    pattern: 'arn:aws:ecr:us-east-1:111122223333:repository/app',
    mode: 'arn',
    value: 'arn:aws:ecr:us-east-1:111122223333:repository/app',
    expected: true,
  },
  {
    name: 'arn matching is case-sensitive',
    pattern: 'arn:aws:ecr:us-east-1:111122223333:repository/App',
    mode: 'arn',
    value: 'arn:aws:ecr:us-east-1:111122223333:repository/app',
    expected: false,
  },
  {
    name: 'a star in the resource part spans slashes',
    pattern: 'arn:aws:ecr:*:111122223333:repository/*',
    mode: 'arn',
    value: 'arn:aws:ecr:eu-west-1:111122223333:repository/team/app',
    expected: true,
  },
  {
    name: 'a star in the resource part spans colons',
    pattern: 'arn:aws:ecr:*:*:*',
    mode: 'arn',
    value: 'arn:aws:ecr:eu-west-1:111122223333:repository/a:b',
    expected: true,
  },
  {
    name: 'a star in the region part cannot cross a colon',
    pattern: 'arn:aws:ecr:*:111122223333:repository/app',
    mode: 'arn',
    value: 'arn:aws:ecr:us-east-1:999:111122223333:repository/app',
    expected: false,
  },
  {
    name: 'a question mark in the region part matches one character',
    pattern: 'arn:aws:ecr:us-east-?:1:repository/a',
    mode: 'arn',
    value: 'arn:aws:ecr:us-east-2:1:repository/a',
    expected: true,
  },
  {
    name: 'an empty region in the pattern matches only an empty region',
    pattern: 'arn:aws:iam::*:role/x',
    mode: 'arn',
    value: 'arn:aws:iam:us-east-1:1:role/x',
    expected: false,
  },
  {
    name: 'a pattern with fewer than six parts is padded with stars',
    pattern: 'arn:aws:ecr:*',
    mode: 'arn',
    value: 'arn:aws:ecr:us-east-1:111122223333:repository/app',
    expected: true,
  },
  {
    name: 'a short pattern without wildcards is padded too',
    pattern: 'arn:aws:ecr',
    mode: 'arn',
    value: 'arn:aws:ecr:us-east-1:1:repository/app',
    expected: true,
  },
  {
    name: 'a padded short pattern still checks the parts it has',
    pattern: 'arn:aws:ecr:*',
    mode: 'arn',
    value: 'arn:aws:s3:::bucket',
    expected: false,
  },
  {
    name: 'a value with fewer than six parts matches no ARN pattern',
    pattern: 'arn:aws:ecr:*:*:*',
    mode: 'arn',
    value: 'arn:aws:ecr:us-east-1:1',
    expected: false,
  },
  {
    name: 'the arn prefix itself is compared',
    pattern: 'arn:aws:s3:::b',
    mode: 'arn',
    value: 'xyz:aws:s3:::b',
    expected: false,
  },
];

describe('compilePattern', () => {
  for (const c of cases) {
    test(c.name, () => {
      const t = compilePattern(c.pattern, { variables: c.variables ?? true, mode: c.mode });
      assert.equal(t.matches(c.value, c.context ? lookupFromRecord(c.context) : ctx), c.expected);
    });
  }

  test('hasVariables is true only for real variables', () => {
    assert.equal(compilePattern('a${aws:username}', { variables: true, mode: 'glob' }).hasVariables, true);
    assert.equal(compilePattern('a${*}${?}${$}', { variables: true, mode: 'glob' }).hasVariables, false);
    assert.equal(compilePattern('a${aws:username}', { variables: false, mode: 'glob' }).hasVariables, false);
  });

  test('resolve substitutes and keeps wildcards as pattern characters', () => {
    const t = compilePattern('arn:aws:s3:::b/${aws:PrincipalTag/star}/*', { variables: true, mode: 'arn' });
    assert.equal(t.resolve(ctx), 'arn:aws:s3:::b/a${*}b/*');
    assert.equal(t.source, 'arn:aws:s3:::b/${aws:PrincipalTag/star}/*');
  });

  test('resolve of an exact pattern is the literal text', () => {
    assert.equal(
      compilePattern('a${*}-${aws:username}', { variables: true, mode: 'exact' }).resolve(ctx),
      'a*-alice',
    );
    assert.equal(compilePattern('a${*}', { variables: true, mode: 'exact' }).resolve(ctx), 'a*');
  });

  test('resolve is undefined when a variable is unresolvable', () => {
    assert.equal(
      compilePattern('${aws:SourceIdentity}', { variables: true, mode: 'glob' }).resolve(ctx),
      undefined,
    );
  });

  test('resolve of a pattern without variables is its source', () => {
    assert.equal(compilePattern('a*${*}', { variables: true, mode: 'glob' }).resolve(ctx), 'a*${*}');
  });

  test('a literal pattern matches exactly itself', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*?]|\$\{/.test(s)),
        fc.string(),
        fc.constantFrom<MatchMode>('exact', 'glob'),
        (literal, other, mode) => {
          const t = compilePattern(literal, { variables: true, mode });
          assert.equal(t.matches(literal, ctx), true);
          assert.equal(t.matches(other, ctx), other === literal);
        },
      ),
    );
  });

  test('substituted text matches exactly itself, whatever it contains', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (tag, other) => {
        const t = compilePattern('${aws:PrincipalTag/x}', { variables: true, mode: 'glob' });
        const c = lookupFromRecord({ 'aws:PrincipalTag/x': tag });
        assert.equal(t.matches(tag, c), true);
        assert.equal(t.matches(other, c), other === tag);
      }),
    );
  });
});

describe('compileArnConditionPattern', () => {
  const arnCases: { name: string; pattern: string; value: string; expected: string }[] = [
    {
      name: 'a six-part ARN matches itself',
      pattern: 'arn:aws:iam::1:role/x',
      value: 'arn:aws:iam::1:role/x',
      expected: 'match',
    },
    {
      name: 'a different ARN does not match',
      pattern: 'arn:aws:iam::1:role/x',
      value: 'arn:aws:iam::1:role/y',
      expected: 'nomatch',
    },
    {
      name: 'a request value with fewer than five parts is invalid',
      pattern: 'arn:aws:iam::1:role/x',
      value: 'arn:aws:iam',
      expected: 'invalid',
    },
    {
      name: 'a policy value with fewer than five parts is invalid, not padded',
      pattern: 'arn:aws:iam',
      value: 'arn:aws:iam::1:role/x',
      expected: 'invalid',
    },
    {
      name: 'a five-part value has an empty resource part',
      pattern: 'arn:aws:iam::1:',
      value: 'arn:aws:iam::1',
      expected: 'match',
    },
    {
      name: 'a five-part pattern matches only an empty resource part',
      pattern: 'arn:aws:iam::1',
      value: 'arn:aws:iam::1:role/x',
      expected: 'nomatch',
    },
    { name: 'the pattern * matches any value', pattern: '*', value: 'whatever', expected: 'match' },
    {
      name: 'an unresolvable variable compares as no match',
      pattern: 'arn:aws:iam::1:user/${aws:SourceIdentity}',
      value: 'arn:aws:iam::1:user/x',
      expected: 'nomatch',
    },
  ];
  for (const c of arnCases) {
    test(c.name, () => {
      assert.equal(compileArnConditionPattern(c.pattern, { variables: true }).test(c.value, ctx), c.expected);
    });
  }
});

/**
 * ARN matching as first written: cut both sides into parts with `split`, then glob each part.
 * The compiled matchers find the parts in place instead; they must agree with this.
 */
function referenceArn(pattern: string, value: string, forCondition: boolean): string {
  const globPart = (p: string, v: string) =>
    compilePattern(p, { variables: false, mode: 'glob' }).matches(v, ctx);
  const cut = (s: string) => {
    const parts = s.split(':');
    return parts.length > 6 ? [...parts.slice(0, 5), parts.slice(5).join(':')] : parts;
  };
  if (/^\**$/.test(pattern) && pattern.length > 0) return 'match';
  const pp = cut(pattern);
  const vp = cut(value);
  if (forCondition) {
    if (pp.length < 5 || vp.length < 5) return 'invalid';
    if (pp.length === 5) pp.push('');
    if (vp.length === 5) vp.push('');
  } else {
    if (vp.length < 6) return 'nomatch';
    while (pp.length < 6) pp.push('*');
  }
  return pp.every((p, i) => globPart(p, vp[i] as string)) ? 'match' : 'nomatch';
}

describe('arn matching agrees with splitting into parts', () => {
  const patternPart = fc.constantFrom('arn', 'aws', 'ecr', '', '*', 'a*', '?', 'r/*', '1');
  const valuePart = fc.constantFrom('arn', 'aws', 'ecr', '', 'a', 'ab', 'r/x', '1', 'x:y');
  const join = (parts: string[]) => parts.join(':');
  test('Resource patterns (matches) and Arn* conditions (test)', () => {
    fc.assert(
      fc.property(
        fc.array(patternPart, { minLength: 1, maxLength: 7 }).map(join),
        fc.array(valuePart, { minLength: 1, maxLength: 7 }).map(join),
        (pattern, value) => {
          assert.equal(
            compilePattern(pattern, { variables: true, mode: 'arn' }).matches(value, ctx)
              ? 'match'
              : 'nomatch',
            referenceArn(pattern, value, false),
            `Resource ${pattern} vs ${value}`,
          );
          assert.equal(
            compileArnConditionPattern(pattern, { variables: true }).test(value, ctx),
            referenceArn(pattern, value, true),
            `ArnLike ${pattern} vs ${value}`,
          );
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('templates with variables', () => {
  test('the matchers kept per variable value follow the request, also past the memo bound', () => {
    const t = compilePattern('arn:aws:ecr:*:1:repository/${aws:username}/*', {
      variables: true,
      mode: 'arn',
    });
    const a = compileArnConditionPattern('arn:aws:iam::1:user/${aws:username}', { variables: true });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 200; i++) {
        const c = lookupFromRecord({ 'aws:username': `u${i}` });
        assert.equal(t.matches(`arn:aws:ecr:r:1:repository/u${i}/x`, c), true);
        assert.equal(t.matches(`arn:aws:ecr:r:1:repository/u${i + 1}/x`, c), false);
        assert.equal(a.test(`arn:aws:iam::1:user/u${i}`, c), 'match');
        assert.equal(a.test(`arn:aws:iam::1:user/u${i}x`, c), 'nomatch');
      }
    }
  });

  test('several variables are told apart however their values split', () => {
    const t = compilePattern('${aws:PrincipalTag/a}${aws:PrincipalTag/b}', {
      variables: true,
      mode: 'exact',
    });
    const ab = lookupFromRecord({ 'aws:PrincipalTag/a': 'x', 'aws:PrincipalTag/b': 'yz' });
    const a_b = lookupFromRecord({ 'aws:PrincipalTag/a': 'xy', 'aws:PrincipalTag/b': 'z' });
    assert.equal(t.matches('xyz', ab), true);
    assert.equal(t.matches('xyz', a_b), true);
    assert.equal(t.matches('xy', a_b), false);
    const star = compilePattern('${aws:PrincipalTag/a}*${aws:PrincipalTag/b}', {
      variables: true,
      mode: 'glob',
    });
    assert.equal(star.matches('x-yz', ab), true);
    assert.equal(star.matches('x-yz', a_b), false);
    assert.equal(star.matches('xy-z', a_b), true);
  });
});
