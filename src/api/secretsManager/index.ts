/**
 * AWS Secrets Manager over awsJson1_1 (`X-Amz-Target: secretsmanager.<Operation>`, signing name
 * `secretsmanager`): the input shapes of the operations crossdock serves, member names exactly as
 * the model spells them (botocore `secretsmanager/2017-10-17`), and the adapter that hands each
 * decoded request to {@link SecretsManagerService}, which answers in the model's member names.
 */
import type { Caller } from '../../auth/caller.js';
import type { SecretsManagerService } from '../../services/secretsManager/service.js';
import type { ApiAdapter } from '../adapter.js';
import { list, required, struct, type Infer } from '../protocol/shape.js';
import type { OutputValue } from '../protocol/wire.js';

const req = required('string');
const Tag = struct({ Key: 'string', Value: 'string' });
const Filter = struct({ Key: 'string', Values: list('string') });
const value = { SecretString: 'string', SecretBinary: 'blob' } as const;

/** The Secrets Manager operations crossdock serves and their inputs. */
export const SECRETS_MANAGER_OPERATIONS = {
  CreateSecret: struct({
    Name: req,
    ClientRequestToken: 'string',
    Description: 'string',
    KmsKeyId: 'string',
    ...value,
    Tags: list(Tag),
  }),
  GetSecretValue: struct({ SecretId: req, VersionId: 'string', VersionStage: 'string' }),
  PutSecretValue: struct({
    SecretId: req,
    ClientRequestToken: 'string',
    ...value,
    VersionStages: list('string'),
  }),
  UpdateSecret: struct({
    SecretId: req,
    ClientRequestToken: 'string',
    Description: 'string',
    KmsKeyId: 'string',
    ...value,
  }),
  DescribeSecret: struct({ SecretId: req }),
  ListSecrets: struct({
    IncludePlannedDeletion: 'boolean',
    MaxResults: 'integer',
    NextToken: 'string',
    Filters: list(Filter),
    SortOrder: 'string',
  }),
  DeleteSecret: struct({
    SecretId: req,
    RecoveryWindowInDays: 'integer',
    ForceDeleteWithoutRecovery: 'boolean',
  }),
  RestoreSecret: struct({ SecretId: req }),
  TagResource: struct({ SecretId: req, Tags: required(list(Tag)) }),
  UntagResource: struct({ SecretId: req, TagKeys: required(list('string')) }),
};

type Ops = typeof SECRETS_MANAGER_OPERATIONS;

type Handlers = {
  [K in keyof Ops]: (s: SecretsManagerService, caller: Caller, input: Infer<Ops[K]>) => Promise<OutputValue>;
};

const HANDLERS: Handlers = {
  CreateSecret: (s, c, i) => s.createSecret(c, i),
  GetSecretValue: (s, c, i) => s.getSecretValue(c, i),
  PutSecretValue: (s, c, i) => s.putSecretValue(c, i),
  UpdateSecret: (s, c, i) => s.updateSecret(c, i),
  DescribeSecret: (s, c, i) => s.describeSecret(c, i),
  ListSecrets: (s, c, i) => s.listSecrets(c, i),
  DeleteSecret: (s, c, i) => s.deleteSecret(c, i),
  RestoreSecret: (s, c, i) => s.restoreSecret(c, i),
  TagResource: (s, c, i) => s.tagResource(c, i),
  UntagResource: (s, c, i) => s.untagResource(c, i),
};

/** The Secrets Manager awsJson adapter: decode (against {@link SECRETS_MANAGER_OPERATIONS}) → service → encode. */
export function secretsManagerApi(service: SecretsManagerService): ApiAdapter<Ops> {
  return {
    service: 'secretsmanager',
    operations: SECRETS_MANAGER_OPERATIONS,
    async handle(op, { caller }) {
      // Each handler's input type is checked against its shape in the table's type above.
      const handler = HANDLERS[op.operation as keyof Ops] as (
        s: SecretsManagerService,
        c: Caller,
        i: unknown,
      ) => Promise<OutputValue>;
      return handler(service, caller, op.input);
    },
  };
}
