import type { OrganizationsService } from '../../services/organizations/service.js';
import type { StsService } from '../../services/sts/index.js';
import type { EcrMaintenance, MaintenanceReport } from '../../services/ecr/maintenance.js';
import { issueServiceRoleCredentials, ISSUE_SERVICE_ROLE_CREDENTIALS } from '../sts/index.js';
import type { ApiAdapter } from '../adapter.js';
import { AwsError } from '../protocol/errors.js';
import { required, struct } from '../protocol/shape.js';
import { createAccountStatus } from '../organizations/index.js';

/**
 * crossdock's own extensions, served over awsJson1_1 as `CrossdockV20261101.<Operation>` and
 * signed with SigV4 for the service name `crossdock`. They do what AWS does through consoles or
 * other services and has no API call for: handing out a new account's root access key (DESIGN.md:
 * `crossdock accounts create`), with an optional pinned account id; and credentials of a role as
 * EC2 or ECS would obtain them for an instance or a task (`crossdock instance-profile`).
 */
export const CROSSDOCK_TARGET_PREFIX = 'CrossdockV20261101';

/** Extension operations and their inputs. */
export const CROSSDOCK_OPERATIONS = {
  CreateAccount: struct({
    Alias: required('string'),
    AccountId: 'string',
    Email: 'string',
  }),
  IssueServiceRoleCredentials: ISSUE_SERVICE_ROLE_CREDENTIALS,
  RunLifecycle: struct({}),
};

/**
 * RunLifecycle's answer: what the lifecycle policies expired, per repository, and what garbage
 * collection removed (`crossdock lifecycle run` prints it).
 */
export function maintenanceOut(r: MaintenanceReport) {
  return {
    EvaluatedAt: r.lifecycle.evaluatedAt,
    Repositories: r.lifecycle.repositories.map((x) => ({
      RegistryId: x.repository.accountId,
      Region: x.repository.region,
      RepositoryName: x.repository.name,
      ExpiredImages: x.expired.map((e) => ({
        ImageDigest: e.digest,
        ...(e.tags.length > 0 && { ImageTags: [...e.tags] }),
        AppliedRulePriority: e.rulePriority,
      })),
      ...(x.referrers.length > 0 && { ExpiredReferrers: [...x.referrers] }),
      ...(x.kept.length > 0 && { KeptForIndexes: [...x.kept] }),
      ...(x.error !== undefined && { Error: x.error }),
    })),
    GarbageCollection: {
      UnlinkedBlobs: r.gc.unlinked.length,
      DeletedBlobs: r.gc.deleted.map((b) => ({ Digest: b.digest, Size: b.size })),
      FreedBytes: r.gc.freedBytes,
    },
  };
}

/** The extension adapter; errors travel with Organizations' error shapes. */
export function crossdockApi(
  orgs: OrganizationsService,
  sts: StsService,
  maintenance?: EcrMaintenance,
): ApiAdapter<typeof CROSSDOCK_OPERATIONS> {
  return {
    service: 'organizations',
    operations: CROSSDOCK_OPERATIONS,
    async handle(op, ctx) {
      const { caller } = ctx;
      switch (op.operation) {
        case 'IssueServiceRoleCredentials':
          return issueServiceRoleCredentials(sts, op.input, ctx);
        case 'RunLifecycle':
          if (maintenance === undefined)
            throw AwsError.of(
              'organizations',
              'UnknownOperationException',
              'operation `RunLifecycle` is not supported',
            );
          return maintenanceOut(await maintenance.runAs(caller));
        case 'CreateAccount': {
          const { Alias, AccountId, Email } = op.input;
          const { status, root } = await orgs.createAccount(caller, {
            AccountName: Alias,
            Alias,
            Email: Email ?? `${Alias}@${AccountId ?? 'accounts'}.crossdock.invalid`,
            ...(AccountId !== undefined && { AccountId }),
          });
          return {
            CreateAccountStatus: createAccountStatus(status),
            ...(root !== undefined && {
              Credentials: {
                AccountId: root.AccountId,
                AccessKeyId: root.AccessKeyId,
                SecretAccessKey: root.SecretAccessKey,
              },
            }),
          };
        }
      }
    },
  };
}
