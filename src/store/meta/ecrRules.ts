/**
 * The ECR integrity rules every driver applies in TypeScript, so that the memory and SQL drivers
 * agree by construction: which manifests a batch delete may remove, how registry documents are
 * ordered and checked, and how those documents are written as JSON (with timestamps as epoch
 * milliseconds) and read back.
 */
import {
  canonCreationTemplate,
  canonPullThroughCacheRule,
  canonReplicationConfiguration,
  canonScanningConfiguration,
  canonStringMap,
  compact,
} from './canonical.js';
import { AlreadyExists } from './errors.js';
import { compareText } from './pagination.js';
import type {
  CreationTemplateUse,
  EncryptionConfiguration,
  ImageTagMutability,
  ImageTagMutabilityExclusionFilter,
  PullThroughCacheRule,
  RegistryScanningConfiguration,
  ReplicationConfiguration,
  RepositoryCreationTemplate,
  Tag,
} from './records.js';

/** The distinct strings of a list, in first-seen order. */
export function distinct(items: readonly string[]): string[] {
  return [...new Set(items)];
}

/** The distinct strings of a list in byte order. */
export function sortedDistinct(items: readonly string[]): string[] {
  return distinct(items).sort(compareText);
}

/** OCI's `n` as a count: absent (or not a number) means all, negatives mean none. */
export function tagLimit(n: number | undefined): number | undefined {
  return n === undefined || !Number.isFinite(n) ? undefined : Math.max(0, Math.floor(n));
}

/** How a batch image delete splits the digests it was asked for. */
export interface DeletePlan {
  /** Present and removable, in the order asked. */
  readonly deletable: string[];
  readonly notFound: string[];
  readonly referencedByIndex: string[];
}

/**
 * Plans a batch delete: a manifest goes only if every index referencing it goes too (ECR refuses
 * `ImageReferencedByManifestList` otherwise); refusing an index keeps its children in turn, so
 * the plan is the largest closed subset of what was asked.
 */
export function planImageDelete(
  asked: readonly string[],
  exists: (digest: string) => boolean,
  parentsOf: (digest: string) => readonly string[],
): DeletePlan {
  const wanted = distinct(asked);
  const notFound = wanted.filter((d) => !exists(d));
  const going = new Set(wanted.filter((d) => exists(d)));
  for (let changed = true; changed;) {
    changed = false;
    for (const d of going) {
      if (parentsOf(d).some((p) => !going.has(p))) {
        going.delete(d);
        changed = true;
      }
    }
  }
  return {
    deletable: wanted.filter((d) => going.has(d)),
    notFound,
    referencedByIndex: wanted.filter((d) => exists(d) && !going.has(d)),
  };
}

/** Sorts prefix-keyed registry items by prefix; `AlreadyExists(prefix)` on a duplicate. */
export function byDistinctPrefix<T extends { readonly prefix: string }>(
  items: readonly T[],
  entity: 'pullThroughCacheRule' | 'repositoryCreationTemplate',
  registryKey: string,
): T[] {
  const sorted = [...items].sort((a, b) => compareText(a.prefix, b.prefix));
  for (let i = 1; i < sorted.length; i++) {
    const p = (sorted[i] as T).prefix;
    if ((sorted[i - 1] as T).prefix === p) throw new AlreadyExists(entity, `${registryKey}/${p}`, 'prefix');
  }
  return sorted;
}

// ---- registry documents as JSON ---------------------------------------------------------------

/** A JSON document the store wrote and reads back; `corrupt` when it is not. */
type Json = Record<string, unknown>;

function corrupt(what: string): Error {
  return new Error(`corrupt metadata: ${what}`);
}

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw corrupt(what);
  return v as Json;
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw corrupt(what);
  return v;
}

function str(o: Json, k: string, what: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw corrupt(what);
  return v;
}

function optStr(o: Json, k: string, what: string): string | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw corrupt(what);
  return v;
}

function time(o: Json, k: string, what: string): Date {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw corrupt(what);
  return new Date(v);
}

/** Reads a string map (annotations, account settings). */
export function readStringMap(v: unknown, what: string): Record<string, string> {
  const o = obj(v, what);
  for (const x of Object.values(o)) if (typeof x !== 'string') throw corrupt(what);
  return canonStringMap(o as Record<string, string>);
}

function readTagList(v: unknown, what: string): Tag[] {
  return arr(v, what).map((t) => {
    const o = obj(t, what);
    return { key: str(o, 'key', what), value: str(o, 'value', what) };
  });
}

function readEncryption(v: unknown, what: string): EncryptionConfiguration {
  const o = obj(v, what);
  return compact({
    encryptionType: str(o, 'encryptionType', what) as EncryptionConfiguration['encryptionType'],
    kmsKey: optStr(o, 'kmsKey', what),
  });
}

/** Reads exclusion filters. */
export function readExclusionFilters(v: unknown, what: string): ImageTagMutabilityExclusionFilter[] {
  return arr(v, what).map((f) => {
    const o = obj(f, what);
    return { filterType: str(o, 'filterType', what) as 'WILDCARD', filter: str(o, 'filter', what) };
  });
}

/** Reads a replication configuration. */
export function readReplicationConfiguration(v: unknown): ReplicationConfiguration {
  const what = 'replication configuration';
  const rules = arr(obj(v, what)['rules'], what).map((r) => {
    const o = obj(r, what);
    return {
      destinations: arr(o['destinations'], what).map((d) => {
        const x = obj(d, what);
        return { region: str(x, 'region', what), registryId: str(x, 'registryId', what) };
      }),
      repositoryFilters: arr(o['repositoryFilters'], what).map((f) => {
        const x = obj(f, what);
        return { filter: str(x, 'filter', what), filterType: str(x, 'filterType', what) as 'PREFIX_MATCH' };
      }),
    };
  });
  return canonReplicationConfiguration({ rules });
}

/** Reads a registry scanning configuration. */
export function readScanningConfiguration(v: unknown): RegistryScanningConfiguration {
  const what = 'scanning configuration';
  const o = obj(v, what);
  const rules = arr(o['rules'], what).map((r) => {
    const x = obj(r, what);
    return {
      scanFrequency: str(x, 'scanFrequency', what) as 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN' | 'MANUAL',
      repositoryFilters: arr(x['repositoryFilters'], what).map((f) => {
        const y = obj(f, what);
        return { filter: str(y, 'filter', what), filterType: str(y, 'filterType', what) as 'WILDCARD' };
      }),
    };
  });
  return canonScanningConfiguration({ scanType: str(o, 'scanType', what) as 'BASIC' | 'ENHANCED', rules });
}

/** A pull-through cache rule as JSON (timestamps as epoch milliseconds). */
export function pullThroughCacheRuleToJson(r: PullThroughCacheRule): Json {
  return {
    ...canonPullThroughCacheRule(r),
    createdAt: r.createdAt.getTime(),
    updatedAt: r.updatedAt?.getTime(),
  };
}

/** Reads pull-through cache rules. */
export function readPullThroughCacheRules(v: unknown): PullThroughCacheRule[] {
  const what = 'pull-through cache rule';
  return arr(v, what).map((x) => {
    const o = obj(x, what);
    return canonPullThroughCacheRule({
      prefix: str(o, 'prefix', what),
      upstreamRegistryUrl: str(o, 'upstreamRegistryUrl', what),
      upstreamRegistry: optStr(o, 'upstreamRegistry', what),
      upstreamRepositoryPrefix: optStr(o, 'upstreamRepositoryPrefix', what),
      credentialArn: optStr(o, 'credentialArn', what),
      customRoleArn: optStr(o, 'customRoleArn', what),
      createdAt: time(o, 'createdAt', what),
      updatedAt: o['updatedAt'] === undefined ? undefined : time(o, 'updatedAt', what),
    });
  });
}

/** A repository creation template as JSON (timestamps as epoch milliseconds). */
export function creationTemplateToJson(t: RepositoryCreationTemplate): Json {
  return { ...canonCreationTemplate(t), createdAt: t.createdAt.getTime(), updatedAt: t.updatedAt.getTime() };
}

/** Reads repository creation templates. */
export function readCreationTemplates(v: unknown): RepositoryCreationTemplate[] {
  const what = 'repository creation template';
  return arr(v, what).map((x) => {
    const o = obj(x, what);
    return canonCreationTemplate({
      prefix: str(o, 'prefix', what),
      description: optStr(o, 'description', what),
      encryption: o['encryption'] === undefined ? undefined : readEncryption(o['encryption'], what),
      resourceTags: readTagList(o['resourceTags'], what),
      imageTagMutability: optStr(o, 'imageTagMutability', what) as ImageTagMutability | undefined,
      imageTagMutabilityExclusionFilters:
        o['imageTagMutabilityExclusionFilters'] === undefined
          ? undefined
          : readExclusionFilters(o['imageTagMutabilityExclusionFilters'], what),
      repositoryPolicy: optStr(o, 'repositoryPolicy', what),
      lifecyclePolicy: optStr(o, 'lifecyclePolicy', what),
      appliedFor: arr(o['appliedFor'], what).map((a) => {
        if (typeof a !== 'string') throw corrupt(what);
        return a as CreationTemplateUse;
      }),
      customRoleArn: optStr(o, 'customRoleArn', what),
      createdAt: time(o, 'createdAt', what),
      updatedAt: time(o, 'updatedAt', what),
    });
  });
}
