import { ORGANIZATIONS_JSON, type JsonService } from '../protocol/awsJson.js';
import { CROSSDOCK_TARGET_PREFIX } from './index.js';

/** The extension's awsJson identity: Organizations' error shapes under crossdock's target prefix. */
export const CROSSDOCK_JSON: JsonService = { ...ORGANIZATIONS_JSON, targetPrefix: CROSSDOCK_TARGET_PREFIX };
