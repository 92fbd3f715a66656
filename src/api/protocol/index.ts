/**
 * The wire codecs of crossdock's AWS APIs: what adapters under `src/api/` import. No business
 * rules live here; each adapter decodes with a shape table, calls its service and encodes.
 */
export type {
  AwsErrorCode,
  AwsErrorFields,
  AwsErrorOptions,
  AwsService,
  ErrorSpec,
  Fault,
} from './errors.js';
export { AWS_ERRORS, AwsError, INTERNAL_FAILURE_MESSAGE, errorSpec, toAwsError } from './errors.js';
export type {
  DecodedOperation,
  Infer,
  ListShape,
  MapShape,
  Members,
  OperationShapes,
  RequiredMember,
  ScalarShape,
  Shape,
  StructShape,
} from './shape.js';
export { list, map, required, struct } from './shape.js';
export type { ParsedQuery, QueryLimits, QueryNode, QueryRequest, QueryService } from './awsQuery.js';
export {
  DEFAULT_QUERY_LIMITS,
  IAM_QUERY,
  STS_QUERY,
  decodeQueryOperation,
  encodeQueryError,
  encodeQueryRequest,
  encodeQueryResult,
  parseQueryRequest,
  readQueryInput,
} from './awsQuery.js';
export type { JsonLimits, JsonRequest, JsonService, JsonTarget, JsonValue } from './awsJson.js';
export {
  DEFAULT_JSON_LIMITS,
  ECR_JSON,
  ORGANIZATIONS_JSON,
  decodeJsonOperation,
  encodeJsonError,
  encodeJsonResult,
  parseJsonBody,
  parseTarget,
  readJsonInput,
  toJsonValue,
} from './awsJson.js';
export type { OutputValue, WireBody, WireResponse } from './wire.js';
export { escapeXmlText, isoTimestamp } from './xml.js';
