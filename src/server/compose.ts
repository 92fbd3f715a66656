import type { Logger } from 'pino';
import { mountable } from '../api/adapter.js';
import { crossdockApi, CROSSDOCK_TARGET_PREFIX } from '../api/crossdock/index.js';
import { CROSSDOCK_JSON } from '../api/crossdock/json.js';
import { organizationsApi } from '../api/organizations/index.js';
import { ORGANIZATIONS_JSON } from '../api/protocol/awsJson.js';
import { PolicyCache } from '../iam/index.js';
import { Authorizer } from '../services/authz.js';
import type { ServiceDeps } from '../services/context.js';
import { IdFactory } from '../services/ids.js';
import { OrganizationsService } from '../services/organizations/service.js';
import { StsService } from '../services/sts/index.js';
import { stsApi } from '../api/sts/index.js';
import { iamApi } from '../api/iam/index.js';
import { IamService } from '../services/iam/index.js';
import type { Clock, Random } from '../services/runtime.js';
import type { MetadataStore } from '../store/meta/MetadataStore.js';
import type { SecretBox } from '../store/meta/secrets.js';
import type { Apis, JsonMount } from './app.js';

/** The services of one server, built once and shared by every request. */
export interface Services {
  readonly deps: ServiceDeps;
  readonly organizations: OrganizationsService;
  readonly sts: StsService;
  readonly iam: IamService;
}

/** Builds the services and the API table from the store and the injected sources. */
export function compose(opts: {
  store: MetadataStore;
  box: SecretBox;
  clock: Clock;
  random: Random;
  region: string;
  log: Logger;
}): { services: Services; apis: Apis; ids: IdFactory } {
  const cache = new PolicyCache();
  const ids = new IdFactory(opts.random);
  const authz = new Authorizer({
    store: opts.store,
    cache,
    clock: opts.clock,
    onDecision: (req, result) => {
      if (result.decision !== 'Allow') {
        opts.log.info(
          {
            principal: req.caller.principal.arn,
            action: req.action,
            resource: req.resource,
            decision: result.decision,
            deniedBy: result.denial?.by,
          },
          'denied',
        );
      }
    },
  });
  const deps: ServiceDeps = {
    store: opts.store,
    authz,
    clock: opts.clock,
    ids,
    box: opts.box,
    cache,
    region: opts.region,
  };
  const organizations = new OrganizationsService(deps);
  const sts = new StsService(deps);
  const iam = new IamService(deps);
  const json = new Map<string, JsonMount>([
    [
      ORGANIZATIONS_JSON.targetPrefix,
      {
        protocol: ORGANIZATIONS_JSON,
        signingName: 'organizations',
        adapter: mountable(organizationsApi(organizations)),
      },
    ],
    [
      CROSSDOCK_TARGET_PREFIX,
      {
        protocol: CROSSDOCK_JSON,
        signingName: 'crossdock',
        adapter: mountable(crossdockApi(organizations, sts)),
      },
    ],
  ]);
  return {
    services: { deps, organizations, sts, iam },
    apis: { query: { sts: mountable(stsApi(sts)), iam: mountable(iamApi(iam)) }, json },
    ids,
  };
}
