/**
 * The STS API adapter (awsQuery) and crossdock's IssueServiceRoleCredentials extension handler
 * (awsJson under `CrossdockV20261101`), named one by one for the server to mount.
 */
export { issueServiceRoleCredentials, stsApi } from './adapter.js';
export { ISSUE_SERVICE_ROLE_CREDENTIALS, STS_OPERATIONS } from './shapes.js';
