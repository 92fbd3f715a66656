import {
  CREDENTIAL_SERVICES,
  type CredentialService,
  type StsService,
  type TemporaryCredentials,
} from '../../services/sts/index.js';
import { ServiceError } from '../../services/errors.js';
import { toWireError, type ApiAdapter, type OperationContext } from '../adapter.js';
import type { Infer } from '../protocol/shape.js';
import type { OutputValue } from '../protocol/wire.js';
import { STS_OPERATIONS, type ISSUE_SERVICE_ROLE_CREDENTIALS } from './shapes.js';

/** `Credentials` in AWS's member order. */
function credentials(c: TemporaryCredentials) {
  return {
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    SessionToken: c.sessionToken,
    Expiration: c.expiration,
  };
}

/**
 * The STS API over awsQuery: decodes with {@link STS_OPERATIONS}, calls {@link StsService} and
 * answers with AWS's members in AWS's order (`<GetCallerIdentityResult><Arn/><UserId/><Account/>`,
 * `<AssumeRoleResult>` with `SourceIdentity`, `AssumedRoleUser`, `Credentials`,
 * `PackedPolicySize`). Errors keep their codes; the server maps them with `toWireError('sts', …)`.
 */
export function stsApi(service: StsService): ApiAdapter<typeof STS_OPERATIONS> {
  return {
    service: 'sts',
    operations: STS_OPERATIONS,
    async handle(op, { caller }) {
      switch (op.operation) {
        case 'GetCallerIdentity': {
          const id = service.getCallerIdentity(caller);
          return { Arn: id.arn, UserId: id.userId, Account: id.account };
        }
        case 'AssumeRole': {
          const { ProvidedContexts: _contexts, ...input } = op.input;
          const out = await service.assumeRole(caller, input);
          return {
            SourceIdentity: out.sourceIdentity,
            AssumedRoleUser: { AssumedRoleId: out.assumedRoleId, Arn: out.arn },
            Credentials: credentials(out.credentials),
            PackedPolicySize: out.packedPolicySize,
          };
        }
        case 'GetSessionToken':
          return { Credentials: credentials(await service.getSessionToken(caller, op.input)) };
      }
    },
  };
}

function isCredentialService(s: string): s is CredentialService {
  return (CREDENTIAL_SERVICES as readonly string[]).includes(s);
}

/**
 * The handler of crossdock's `IssueServiceRoleCredentials` extension, for the lead to mount in the
 * `CrossdockV20261101` awsJson table next to {@link ISSUE_SERVICE_ROLE_CREDENTIALS}. It answers
 * what an EC2 instance or ECS task would know about its role session. Errors leave here already
 * in STS's wire vocabulary (`AccessDenied` 403, `ValidationError` 400, IAM's `NoSuchEntity` 404),
 * whatever service the extension table maps errors for.
 */
export async function issueServiceRoleCredentials(
  service: StsService,
  input: Infer<typeof ISSUE_SERVICE_ROLE_CREDENTIALS>,
  ctx: OperationContext,
): Promise<OutputValue> {
  try {
    if (!isCredentialService(input.Service)) {
      throw new ServiceError(
        'ValidationError',
        `1 validation error detected: Value '${input.Service.slice(0, 100)}' at 'service' failed to satisfy constraint: Member must satisfy enum value set: [${CREDENTIAL_SERVICES.join(', ')}]`,
      );
    }
    const out = await service.issueServiceRoleCredentials(ctx.caller, {
      service: input.Service,
      ...(input.RoleArn !== undefined && { roleArn: input.RoleArn }),
      ...(input.InstanceProfileName !== undefined && { instanceProfileName: input.InstanceProfileName }),
      ...(input.SessionName !== undefined && { sessionName: input.SessionName }),
    });
    return {
      Credentials: credentials(out.credentials),
      AssumedRoleUser: { AssumedRoleId: out.assumedRoleId, Arn: out.arn },
      RoleArn: out.roleArn,
      RoleName: out.roleName,
      AccountId: out.accountId,
      SessionName: out.sessionName,
      Region: out.region,
      InstanceProfileArn: out.instanceProfile?.arn,
      InstanceProfileId: out.instanceProfile?.id,
    };
  } catch (e) {
    if (!(e instanceof ServiceError)) throw e;
    throw toWireError(e.code === 'NoSuchEntity' ? 'iam' : 'sts', e);
  }
}
