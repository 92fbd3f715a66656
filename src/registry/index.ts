/**
 * The OCI registry (Distribution v2 on ECR's terms) as the server composes it: one handler for
 * `/v2` and `/v2/...`, and the error catalogue that docs and tests keep in step.
 */
export {
  createRegistryHandler,
  isRegistryPath,
  type RegistryHandler,
  type RegistryHandlerDeps,
} from './handler.js';
export type { RegistryLog } from './http.js';
export { OCI, OciError, toOciError, type OciCode, type OpFamily } from './errors.js';
