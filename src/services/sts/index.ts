/**
 * AWS STS as crossdock implements it (see {@link StsService}); the api adapter in `src/api/sts/`
 * and `crossdock instance-profile` import from here.
 */
export {
  CREDENTIAL_SERVICES,
  StsService,
  type AssumeRoleInput,
  type AssumedRole,
  type CallerIdentityResult,
  type CredentialService,
  type GetSessionTokenInput,
  type ServiceRoleCredentials,
  type ServiceRoleCredentialsInput,
  type TemporaryCredentials,
} from './service.js';
export { packedSize, type PackedSize } from './packed.js';
