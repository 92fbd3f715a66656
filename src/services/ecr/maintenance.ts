/**
 * The registry's housekeeping, as AWS runs it behind the scenes: apply every lifecycle policy,
 * then collect the blobs nothing references any more. The server runs it on a timer
 * (`server/main.ts`); `crossdock lifecycle run` runs it on demand, either through the
 * `CrossdockV20261101.RunLifecycle` extension operation ({@link EcrMaintenance.runAs}) or directly
 * on a data directory. Both paths call {@link EcrMaintenance.run}.
 */
import type { Caller } from '../../auth/caller.js';
import { ServiceError } from '../errors.js';
import type { EcrDeps } from './deps.js';
import { BlobCollector, type GcReport } from './gc.js';
import { LifecycleRunner, type LifecycleRunReport } from './lifecycle/runner.js';

/** What one maintenance run did. */
export interface MaintenanceReport {
  readonly lifecycle: LifecycleRunReport;
  readonly gc: GcReport;
}

/** The IAM action a caller needs to run maintenance on demand (crossdock's own, like the operation). */
export const RUN_LIFECYCLE_ACTION = 'crossdock:RunLifecycle';

/** Lifecycle runs followed by blob garbage collection. */
export class EcrMaintenance {
  readonly lifecycle: LifecycleRunner;
  readonly gc: BlobCollector;

  constructor(
    private readonly deps: Pick<EcrDeps, 'store' | 'blobs' | 'clock' | 'authz'>,
    opts: { readonly gcGraceMs?: number } = {},
  ) {
    this.lifecycle = new LifecycleRunner(deps);
    this.gc = new BlobCollector(deps, opts.gcGraceMs === undefined ? {} : { graceMs: opts.gcGraceMs });
  }

  /** Applies every lifecycle policy, then collects garbage. */
  async run(): Promise<MaintenanceReport> {
    const lifecycle = await this.lifecycle.run();
    const gc = await this.gc.collect();
    return { lifecycle, gc };
  }

  /**
   * {@link run} on behalf of a caller: an operator's action over every registry of the server, so
   * only a principal of the organization's management account that is allowed
   * `crossdock:RunLifecycle` may do it (AccessDeniedException otherwise).
   */
  async runAs(caller: Caller): Promise<MaintenanceReport> {
    const orgId = caller.account.organizationId;
    const org = orgId === undefined ? undefined : await this.deps.store.organizations.get(orgId);
    if (org === undefined || org.managementAccountId !== caller.account.id) {
      throw new ServiceError(
        'AccessDeniedException',
        'only the management account of the organization may run lifecycle policies and garbage collection',
      );
    }
    await this.deps.authz.authorize({ caller, action: RUN_LIFECYCLE_ACTION, resource: '*' });
    return this.run();
  }
}
