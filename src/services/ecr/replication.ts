/**
 * Private image replication, the registry side: PutReplicationConfiguration (validated as ECR's
 * model and quotas say), DescribeImageReplicationStatus, and the hook every push calls to queue
 * the copies. The copying itself is {@link ReplicationWorker} (`replicationWorker.ts`).
 *
 * How it fits together:
 * - A push (API PutImage, registry manifest PUT) that stores or re-tags an image calls
 *   {@link enqueueReplication} inside the push's own transaction: one durable job per destination
 *   of every rule whose filters match the repository, so a crash can never keep the image and lose
 *   its jobs (or the other way round).
 * - Only pushes queue jobs. The worker writes replicated images straight into the destination
 *   store, not through a push, so a replicated image never replicates again (ECR: no chaining).
 * - Images pushed before the configuration existed are not replicated (ECR; backfill is deferred).
 * - A job's status is what DescribeImageReplicationStatus reports for its destination: PENDING and
 *   IN_PROGRESS are `IN_PROGRESS`; a failed job keeps ECR's error code and sentence in the store's
 *   `failureReason` as `<code>: <sentence>` (see {@link failureOf}).
 */
import type { Caller } from '../../auth/caller.js';
import type { MetadataTx } from '../../store/meta/MetadataStore.js';
import type {
  ReplicationConfiguration,
  ReplicationDestination,
  ReplicationJob,
  ReplicationRule,
  RepositoryRef,
} from '../../store/meta/records.js';
import { listAll } from '../authz.js';
import type { IdFactory } from '../ids.js';
import { ecrErrors as E } from './errors.js';
import { inRepository } from './layers.js';
import type { EcrInputs, EcrOutputs, ReplicationConfigurationIn } from './present.js';
import { replicationRulesOut } from './present.js';
import type { EcrContext } from './service.js';
import { checkRegistryId, imageIdProblem, targetRef } from './validate.js';

/** ECR's replication quotas and model limits (ecr-api.md §4, §12; the API reference's ReplicationRule). */
export const REPLICATION_LIMITS = {
  rules: 10,
  /** Destinations of one rule, and unique destinations of the whole configuration. */
  destinations: 25,
  filtersPerRule: 100,
  filterMin: 2,
  filterMax: 256,
} as const;

/** `RepositoryFilterValue`'s pattern (botocore `ecr/2015-09-21`). */
const FILTER_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*\/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$/;
/** `Region`'s pattern. */
const REGION_PATTERN = /^[0-9a-z-]{2,25}$/;

/**
 * Validates a replication configuration as ECR does and returns it in the store's form: at most 10
 * rules, at most 25 destinations per rule and 25 distinct ones in all, each a 12-digit registry
 * and a region, none the source registry in the source region (ECR replicates elsewhere only), and
 * 1–100 PREFIX_MATCH filters of 2–256 characters in the repository name alphabet when given.
 * Every violation is ECR's InvalidParameterException naming the member.
 */
export function checkReplicationConfiguration(
  config: ReplicationConfigurationIn,
  source: { readonly accountId: string; readonly region: string },
): ReplicationConfiguration {
  const member = 'replicationConfiguration.rules';
  if (config.rules.length > REPLICATION_LIMITS.rules)
    throw E.invalidParameter(
      member,
      `Member must have length less than or equal to ${REPLICATION_LIMITS.rules}`,
    );
  const distinct = new Set<string>();
  const rules: ReplicationRule[] = config.rules.map((rule, i) => {
    const at = `${member}.${i + 1}`;
    if (rule.destinations.length > REPLICATION_LIMITS.destinations)
      throw E.invalidParameter(
        `${at}.destinations`,
        `Member must have length less than or equal to ${REPLICATION_LIMITS.destinations}`,
      );
    const inRule = new Set<string>();
    const destinations: ReplicationDestination[] = rule.destinations.map((d, j) => {
      const where = `${at}.destinations.${j + 1}`;
      checkRegistryId(d.registryId, `${where}.registryId`);
      if (!REGION_PATTERN.test(d.region))
        throw E.invalidParameter(
          `${where}.region`,
          "Member must satisfy regular expression pattern: '[0-9a-z-]{2,25}'",
        );
      if (d.registryId === source.accountId && d.region === source.region)
        throw E.invalidParameter(
          `${where}`,
          `Replication destination cannot be the source registry '${source.accountId}' in its own region '${source.region}'`,
        );
      const key = `${d.registryId}/${d.region}`;
      if (inRule.has(key))
        throw E.invalidParameter(
          `${where}`,
          `Duplicate destination '${d.registryId}' in region '${d.region}'`,
        );
      inRule.add(key);
      distinct.add(key);
      return { region: d.region, registryId: d.registryId };
    });
    const filters = rule.repositoryFilters;
    if (filters !== undefined && filters.length < 1)
      throw E.invalidParameter(
        `${at}.repositoryFilters`,
        'Member must have length greater than or equal to 1',
      );
    if (filters !== undefined && filters.length > REPLICATION_LIMITS.filtersPerRule)
      throw E.invalidParameter(
        `${at}.repositoryFilters`,
        `Member must have length less than or equal to ${REPLICATION_LIMITS.filtersPerRule}`,
      );
    const repositoryFilters = (filters ?? []).map((f, k) => {
      const where = `${at}.repositoryFilters.${k + 1}`;
      if (f.filterType !== 'PREFIX_MATCH')
        throw E.invalidParameter(`${where}.filterType`, 'Member must satisfy enum value set: [PREFIX_MATCH]');
      if (f.filter.length < REPLICATION_LIMITS.filterMin)
        throw E.invalidParameter(
          `${where}.filter`,
          `Member must have length greater than or equal to ${REPLICATION_LIMITS.filterMin}`,
        );
      if (f.filter.length > REPLICATION_LIMITS.filterMax)
        throw E.invalidParameter(
          `${where}.filter`,
          `Member must have length less than or equal to ${REPLICATION_LIMITS.filterMax}`,
        );
      if (!FILTER_PATTERN.test(f.filter))
        throw E.invalidParameter(
          `${where}.filter`,
          `Member must satisfy regular expression pattern: '${FILTER_PATTERN.source}'`,
        );
      return { filter: f.filter, filterType: 'PREFIX_MATCH' as const };
    });
    return { destinations, repositoryFilters };
  });
  if (distinct.size > REPLICATION_LIMITS.destinations)
    throw E.invalidParameter(
      member,
      `A replication configuration can have at most ${REPLICATION_LIMITS.destinations} unique destinations`,
    );
  return { rules };
}

/** Whether a rule takes a repository: no filters means every repository; PREFIX_MATCH is a plain prefix. */
export function ruleMatches(rule: ReplicationRule, repositoryName: string): boolean {
  return (
    rule.repositoryFilters.length === 0 ||
    rule.repositoryFilters.some((f) => repositoryName.startsWith(f.filter))
  );
}

/**
 * The distinct destinations an image of `ref` goes to, in the order the rules name them; never the
 * source registry in its own region.
 */
export function destinationsFor(
  config: ReplicationConfiguration | undefined,
  ref: RepositoryRef,
): ReplicationDestination[] {
  const out = new Map<string, ReplicationDestination>();
  for (const rule of config?.rules ?? []) {
    if (!ruleMatches(rule, ref.name)) continue;
    for (const d of rule.destinations) {
      if (d.registryId === ref.accountId && d.region === ref.region) continue;
      const key = `${d.registryId}/${d.region}`;
      if (!out.has(key)) out.set(key, { region: d.region, registryId: d.registryId });
    }
  }
  return [...out.values()];
}

/**
 * Queues the replication of a pushed image: one PENDING job per destination, with the tag the push
 * set, in the push's transaction `tx`. Returns how many were queued (0 without matching rules).
 */
export async function enqueueReplication(
  tx: MetadataTx,
  ids: IdFactory,
  ref: RepositoryRef,
  digest: string,
  tags: readonly string[],
  at: Date,
): Promise<number> {
  const registry = await tx.registries.get(ref.accountId, ref.region);
  const destinations = destinationsFor(registry?.replicationConfiguration, ref);
  for (const destination of destinations) {
    await tx.replication.enqueue({
      id: ids.requestId(),
      source: { accountId: ref.accountId, region: ref.region, repositoryName: ref.name, digest },
      destination,
      tags: [...tags],
      createdAt: at,
    });
  }
  return destinations.length;
}

/** A job's failure as DescribeImageReplicationStatus shows it. */
export interface ReplicationFailureInfo {
  /** The ECR error code the copy failed with (`AccessDeniedException`, `ImageTagAlreadyExistsException`...). */
  readonly code: string;
  /** ECR's sentence. */
  readonly reason: string;
}

/** How a failure is kept in a job's `failureReason`: `<code>: <sentence>`. */
export function failureText(f: ReplicationFailureInfo): string {
  return `${f.code}: ${f.reason}`;
}

/** The code and sentence of a job's `failureReason` (a bare text is a ServerException's). */
export function failureOf(job: ReplicationJob): ReplicationFailureInfo | undefined {
  const text = job.failureReason;
  if (text === undefined) return undefined;
  const m = /^([A-Za-z]+): ([\s\S]*)$/.exec(text);
  return m === null ? { code: 'ServerException', reason: text } : { code: m[1]!, reason: m[2]! };
}

/** PutReplicationConfiguration: `ecr:PutReplicationConfiguration` on `*`, in the caller's registry of the call's region. */
export async function putReplicationConfiguration(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['PutReplicationConfiguration'],
): Promise<EcrOutputs['PutReplicationConfiguration']> {
  const source = { accountId: caller.account.id, region: caller.request.region };
  const config = checkReplicationConfiguration(input.replicationConfiguration, source);
  await ctx.allowRegistryAction(caller, 'ecr:PutReplicationConfiguration');
  await ctx.deps.store.registries.put(source.accountId, source.region, {
    replicationConfiguration: config,
    updatedAt: ctx.now(),
  });
  return { replicationConfiguration: { rules: replicationRulesOut(config) } };
}

/** ECR's status of a job: queued and running are both IN_PROGRESS. */
function statusOf(job: ReplicationJob): 'IN_PROGRESS' | 'COMPLETE' | 'FAILED' {
  return job.state === 'COMPLETE' ? 'COMPLETE' : job.state === 'FAILED' ? 'FAILED' : 'IN_PROGRESS';
}

/**
 * DescribeImageReplicationStatus: `ecr:DescribeImageReplicationStatus` on the repository; the
 * image (by digest or tag) must exist (ImageNotFoundException). One status per destination the
 * image was queued for, from its latest job there (a later push of the same image with another tag
 * queues another), in the order the destinations were first queued. An image that was never
 * queued (no matching rule, pushed before the configuration, or itself a replica) has none.
 * `failureCode` is ECR's error code of the failed copy; `failureReason`, its sentence, is
 * crossdock's addition (SDKs drop members their model lacks).
 */
export async function describeImageReplicationStatus(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['DescribeImageReplicationStatus'],
): Promise<EcrOutputs['DescribeImageReplicationStatus']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  const problem = imageIdProblem(input.imageId);
  if (problem === 'missing')
    throw E.invalidParameter('imageId', 'Invalid request parameters: both tag and digest cannot be null');
  if (problem === 'digest') throw E.invalidParameter('imageId.imageDigest', 'Invalid image digest');
  if (problem === 'tag')
    throw E.invalidParameter('imageId.imageTag', 'Member must have length between 1 and 300');
  await ctx.access.require(caller, 'ecr:DescribeImageReplicationStatus', ref);
  const { imageDigest, imageTag } = input.imageId;
  const store = ctx.deps.store;
  const image = await inRepository(ref, () =>
    imageTag !== undefined ? store.images.getByTag(ref, imageTag) : store.images.get(ref, imageDigest!),
  );
  if (image === undefined || (imageDigest !== undefined && image.digest !== imageDigest))
    throw E.imageNotFound(input.imageId, ref.name, ref.accountId);
  const jobs = await listAll((marker) =>
    store.replication.list({
      source: {
        accountId: ref.accountId,
        region: ref.region,
        repositoryName: ref.name,
        digest: image.digest,
      },
      ...(marker !== undefined && { marker }),
    }),
  );
  jobs.sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.updatedAt.getTime() - b.updatedAt.getTime(),
  );
  const latest = new Map<string, ReplicationJob>();
  for (const j of jobs) latest.set(`${j.destination.registryId}/${j.destination.region}`, j);
  return {
    repositoryName: ref.name,
    imageId: { imageDigest: image.digest, ...(imageTag !== undefined && { imageTag }) },
    replicationStatuses: [...latest.values()].map((j) => {
      const failure = j.state === 'FAILED' ? failureOf(j) : undefined;
      return {
        region: j.destination.region,
        registryId: j.destination.registryId,
        status: statusOf(j),
        ...(failure !== undefined && { failureCode: failure.code, failureReason: failure.reason }),
      };
    }),
  };
}
