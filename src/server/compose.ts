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
import type { BlobStorage } from '../store/blobs/BlobStore.js';
import { ECR_JSON, ECR_PUBLIC_JSON, SECRETS_MANAGER_JSON } from '../api/protocol/awsJson.js';
import { ecrPublicApi } from '../api/ecrPublic/index.js';
import { secretsManagerApi } from '../api/secretsManager/index.js';
import { SecretsManagerService } from '../services/secretsManager/service.js';
import { EcrPublicService } from '../services/ecr/public/service.js';
import { ecrApi } from '../api/ecr/index.js';
import type { RegistryAddressing } from '../services/ecr/addressing.js';
import { createRegistryBackend } from '../services/ecr/backend.js';
import { EcrDataService } from '../services/ecr/dataOps.js';
import type { EcrDeps } from '../services/ecr/deps.js';
import { EcrService } from '../services/ecr/service.js';
import { EcrMaintenance } from '../services/ecr/maintenance.js';
import { UploadService } from '../services/ecr/uploads.js';
import { ReplicationWorker } from '../services/ecr/replicationWorker.js';
import type { RegistryBackend } from '../services/ecr/registry.js';
import type { Apis, JsonMount } from './app.js';

/** The services of one server, built once and shared by every request. */
export interface Services {
  readonly deps: ServiceDeps;
  readonly organizations: OrganizationsService;
  readonly sts: StsService;
  readonly iam: IamService;
  readonly ecr: EcrService;
  /** Upload sessions, for the periodic clean-up of abandoned ones. */
  readonly uploads: UploadService;
  /** What the OCI registry layer under `/v2` calls. */
  readonly registry: RegistryBackend;
  /** Lifecycle runs and blob garbage collection (main.ts runs them on a timer). */
  readonly maintenance: EcrMaintenance;
  /** The replication worker of this process (main.ts starts and stops it). */
  readonly replication: ReplicationWorker;
}

/** Builds the services and the API table from the store and the injected sources. */
export function compose(opts: {
  store: MetadataStore;
  box: SecretBox;
  clock: Clock;
  random: Random;
  region: string;
  log: Logger;
  blobs: BlobStorage;
  registryTokenKey: Uint8Array;
  addressing: RegistryAddressing;
  /** How long a blob link no image uses is kept before garbage collection removes it. */
  gcGraceMs?: number;
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
  const ecrDeps: EcrDeps = {
    ...deps,
    blobs: opts.blobs,
    registryTokenKey: opts.registryTokenKey,
    addressing: opts.addressing,
    // Called after a push commits, so never before `replication` below exists.
    replicationQueued: () => replication.wake(),
  };
  const replication = new ReplicationWorker(ecrDeps, {
    onError: (err) => opts.log.error({ err }, 'replication worker failed'),
  });
  const ecr = new EcrService(ecrDeps);
  const uploads = new UploadService(ecrDeps);
  const maintenance = new EcrMaintenance(
    ecrDeps,
    opts.gcGraceMs === undefined ? {} : { gcGraceMs: opts.gcGraceMs },
  );
  const registry = createRegistryBackend(ecrDeps);
  const json = new Map<string, JsonMount>([
    [
      ECR_JSON.targetPrefix,
      {
        protocol: ECR_JSON,
        signingName: 'ecr',
        adapter: mountable(ecrApi(ecr, new EcrDataService(ecrDeps))),
      },
    ],
    [
      ECR_PUBLIC_JSON.targetPrefix,
      {
        protocol: ECR_PUBLIC_JSON,
        signingName: 'ecr-public',
        adapter: mountable(ecrPublicApi(new EcrPublicService(ecrDeps))),
      },
    ],
    [
      SECRETS_MANAGER_JSON.targetPrefix,
      {
        protocol: SECRETS_MANAGER_JSON,
        signingName: 'secretsmanager',
        adapter: mountable(secretsManagerApi(new SecretsManagerService(deps))),
      },
    ],
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
        adapter: mountable(crossdockApi(organizations, sts, maintenance)),
      },
    ],
  ]);
  return {
    services: { deps, organizations, sts, iam, ecr, uploads, registry, replication, maintenance },
    apis: { query: { sts: mountable(stsApi(sts)), iam: mountable(iamApi(iam)) }, json },
    ids,
  };
}
