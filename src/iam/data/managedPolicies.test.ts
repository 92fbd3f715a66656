import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { actionsMatching, isKnownAction, isKnownService } from './ecrActions.js';
import { MANAGED_POLICIES, managedPolicy } from './managedPolicies.js';
import type { ManagedPolicy } from './managedPolicies.js';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
interface Document {
  Version: string;
  Statement: Statement[];
}

// Second witness: the statements as the Managed Policy Reference Guide lists them, written out by
// hand rather than derived from the documents under test.
const READ_ONLY_ACTIONS = [
  'ecr:GetAuthorizationToken',
  'ecr:BatchCheckLayerAvailability',
  'ecr:GetDownloadUrlForLayer',
  'ecr:GetRepositoryPolicy',
  'ecr:DescribeRepositories',
  'ecr:ListImages',
  'ecr:DescribeImages',
  'ecr:BatchGetImage',
  'ecr:GetLifecyclePolicy',
  'ecr:GetLifecyclePolicyPreview',
  'ecr:ListTagsForResource',
  'ecr:DescribeImageScanFindings',
];
const EXPECTED: Record<string, { version: string; statements: Statement[] }> = {
  AmazonEC2ContainerRegistryReadOnly: {
    version: 'v3',
    statements: [{ Effect: 'Allow', Action: READ_ONLY_ACTIONS, Resource: '*' }],
  },
  AmazonEC2ContainerRegistryPowerUser: {
    version: 'v3',
    statements: [
      {
        Effect: 'Allow',
        Action: [
          ...READ_ONLY_ACTIONS,
          'ecr:InitiateLayerUpload',
          'ecr:UploadLayerPart',
          'ecr:CompleteLayerUpload',
          'ecr:PutImage',
        ],
        Resource: '*',
      },
    ],
  },
  AmazonEC2ContainerRegistryFullAccess: {
    version: 'v3',
    statements: [
      { Effect: 'Allow', Action: ['ecr:*', 'cloudtrail:LookupEvents'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['iam:CreateServiceLinkedRole'],
        Resource: '*',
        Condition: { StringEquals: { 'iam:AWSServiceName': ['replication.ecr.amazonaws.com'] } },
      },
    ],
  },
  AmazonEC2ContainerRegistryPullOnly: {
    version: 'v1',
    statements: [
      {
        Effect: 'Allow',
        Action: [
          'ecr:GetAuthorizationToken',
          'ecr:BatchGetImage',
          'ecr:GetDownloadUrlForLayer',
          'ecr:BatchImportUpstreamImage',
        ],
        Resource: '*',
      },
    ],
  },
  AdministratorAccess: {
    version: 'v1',
    statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  },
  IAMReadOnlyAccess: {
    version: 'v4',
    statements: [
      {
        Effect: 'Allow',
        Action: [
          'iam:GenerateCredentialReport',
          'iam:GenerateServiceLastAccessedDetails',
          'iam:Get*',
          'iam:List*',
          'iam:SimulateCustomPolicy',
          'iam:SimulatePrincipalPolicy',
        ],
        Resource: '*',
      },
    ],
  },
};

// Services named in these policies that crossdock does not catalogue, and why that is fine.
const UNCATALOGUED_SERVICES: Readonly<Record<string, string>> = {
  cloudtrail: 'FullAccess lets the console look up lifecycle events; crossdock emulates no CloudTrail',
};

// The layout the Managed Policy Reference Guide prints documents in.
function guideLayout(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => inner + guideLayout(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).map(
      ([k, v]) => `${inner}${JSON.stringify(k)} : ${guideLayout(v, inner)}`,
    );
    return `{\n${entries.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

const parse = (p: ManagedPolicy): Document => JSON.parse(p.document) as Document;
const actionsOf = (p: ManagedPolicy): string[] => parse(p).Statement.flatMap((s) => [s.Action].flat());

describe('managed policies', () => {
  test('the list is the expected set, each once', () => {
    assert.deepEqual(MANAGED_POLICIES.map((p) => p.name).sort(), Object.keys(EXPECTED).sort());
  });

  for (const p of MANAGED_POLICIES) {
    describe(p.name, () => {
      const expected = EXPECTED[p.name];

      test('has its AWS ARN, path and default version', () => {
        assert.ok(expected);
        assert.equal(p.arn, `arn:aws:iam::aws:policy/${p.name}`);
        assert.equal(p.path, '/');
        assert.equal(p.defaultVersionId, expected.version);
        assert.match(p.updateDate, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        assert.ok(p.description.length > 0);
      });

      test('is valid JSON with Version 2012-10-17 and the expected statements', () => {
        assert.ok(expected);
        const doc = parse(p);
        assert.deepEqual(Object.keys(doc), ['Version', 'Statement']);
        assert.equal(doc.Version, '2012-10-17');
        assert.deepEqual(doc.Statement, expected.statements);
      });

      test('is laid out as the Managed Policy Reference Guide prints it', () => {
        assert.equal(p.document, guideLayout(JSON.parse(p.document)));
      });

      test('names only actions AWS defines', () => {
        for (const a of actionsOf(p)) {
          if (a === '*') continue;
          const service = a.slice(0, a.indexOf(':'));
          if (!isKnownService(service)) {
            assert.ok(UNCATALOGUED_SERVICES[service], `${a}: service not catalogued`);
          } else if (a.includes('*') || a.includes('?')) {
            assert.ok(actionsMatching(a).length > 0, `${a} covers no action`);
          } else {
            assert.ok(isKnownAction(a), `${a} is not an action`);
          }
        }
      });

      test('is found by ARN and by name', () => {
        assert.equal(managedPolicy(p.arn), p);
        assert.equal(managedPolicy(p.name), p);
      });
    });
  }

  test('PowerUser is ReadOnly plus the four push actions', () => {
    const readOnly = managedPolicy('AmazonEC2ContainerRegistryReadOnly');
    const powerUser = managedPolicy('AmazonEC2ContainerRegistryPowerUser');
    assert.ok(readOnly && powerUser);
    assert.deepEqual(
      actionsOf(powerUser).filter((a) => !actionsOf(readOnly).includes(a)),
      ['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'],
    );
  });

  const misses = [
    { name: 'a policy crossdock does not serve is absent', key: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    {
      name: 'a customer policy ARN is not an AWS managed one',
      key: 'arn:aws:iam::123456789012:policy/AdministratorAccess',
    },
    { name: 'lookup is exact, not case-folded', key: 'administratoraccess' },
    {
      name: 'a service-role path is not assumed',
      key: 'arn:aws:iam::aws:policy/service-role/AdministratorAccess',
    },
  ];
  for (const m of misses) {
    test(m.name, () => assert.equal(managedPolicy(m.key), undefined));
  }
});
