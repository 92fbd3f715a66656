/**
 * A small streaming client of OCI Distribution registries, with no dependency on the rest of
 * crossdock: `crossdock copy` uses it between registries, and the services use it to fetch from
 * the upstream of a pull-through cache.
 */
export { RegistryClient, nextLink, pullScope, pushScope } from './client.js';
export type {
  BlobReader,
  CredentialProvider,
  Credentials,
  Manifest,
  ManifestInfo,
  RegistryClientOptions,
  UploadOutcome,
} from './client.js';
export { parseChallenges } from './challenge.js';
export type { Challenge } from './challenge.js';
export { digestOf, hasDigest, isDigest, VerifyingStream } from './digest.js';
export { answerError, parseErrorBody, RegistryError } from './errors.js';
export type { ClientErrorCode, OciErrorEntry } from './errors.js';
export {
  formatPlatform,
  isIndexMediaType,
  isNondistributable,
  MANIFEST_ACCEPT,
  MediaTypes,
  parseManifest,
  parsePlatform,
  selectPlatform,
} from './media.js';
export type { Descriptor, ManifestContent, Platform } from './media.js';
export {
  DOCKER_HUB,
  formatImageReference,
  isLoopback,
  isRepositoryName,
  isTag,
  parseImageReference,
  registryUrl,
} from './reference.js';
export type { ImageReference } from './reference.js';
