/**
 * Secrets Manager secrets in memory: one map keyed by ARN, names found by scanning (stores here
 * are small). Values are sealed by the service before they arrive, as in every driver.
 */
import { canonSecret, definedOnly } from '../canonical.js';
import { AlreadyExists, NotFound } from '../errors.js';
import type { SecretOps, SecretPatch } from '../MetadataStore.js';
import { paginate, type ListOptions, type Page } from '../pagination.js';
import type { Secret } from '../records.js';

/** The secrets part of the memory driver's state. */
export type SecretsState = Map<string, Secret>;

/** How the secrets group reaches the state (the driver's context, inside or outside a transaction). */
export interface SecretsRunner {
  run<T>(fn: (s: { readonly secrets: SecretsState }) => T): Promise<T>;
}

function find(s: SecretsState, accountId: string, region: string, name: string): Secret | undefined {
  for (const x of s.values())
    if (x.accountId === accountId && x.region === region && x.name === name) return x;
  return undefined;
}

function must(s: SecretsState, accountId: string, region: string, name: string): Secret {
  const x = find(s, accountId, region, name);
  if (x === undefined) throw new NotFound('secret', `${accountId}/${region}/${name}`);
  return x;
}

/** The `secrets` group of the memory driver. */
export class MemorySecrets implements SecretOps {
  constructor(private readonly c: SecretsRunner) {}

  create(secret: Secret): Promise<Secret> {
    return this.c.run(({ secrets: s }) => {
      if (find(s, secret.accountId, secret.region, secret.name) !== undefined)
        throw new AlreadyExists('secret', `${secret.accountId}/${secret.region}/${secret.name}`, 'name');
      if (s.has(secret.arn)) throw new AlreadyExists('secret', secret.arn, 'arn');
      const stored = canonSecret(secret);
      s.set(secret.arn, stored);
      return canonSecret(stored);
    });
  }

  get(accountId: string, region: string, name: string): Promise<Secret | undefined> {
    return this.c.run(({ secrets: s }) => {
      const x = find(s, accountId, region, name);
      return x === undefined ? undefined : canonSecret(x);
    });
  }

  getByArn(arn: string): Promise<Secret | undefined> {
    return this.c.run(({ secrets: s }) => {
      const x = s.get(arn);
      return x === undefined ? undefined : canonSecret(x);
    });
  }

  list(accountId: string, region: string, opts?: ListOptions): Promise<Page<Secret>> {
    return this.c.run(({ secrets: s }) => {
      const all = [...s.values()].filter((x) => x.accountId === accountId && x.region === region);
      const page = paginate(all, (x) => [x.name], opts, 'secret', 1);
      return { ...page, items: page.items.map(canonSecret) };
    });
  }

  update(accountId: string, region: string, name: string, patch: SecretPatch): Promise<Secret> {
    return this.c.run(({ secrets: s }) => {
      const cur = must(s, accountId, region, name);
      const { description, deletedAt, deletionDate, ...rest } = patch;
      const pick = <T>(p: T | null | undefined, c: T | undefined): T | undefined =>
        p === null ? undefined : (p ?? c);
      const next = canonSecret({
        ...cur,
        ...definedOnly(rest),
        description: pick(description, cur.description),
        deletedAt: pick(deletedAt, cur.deletedAt),
        deletionDate: pick(deletionDate, cur.deletionDate),
      });
      s.set(cur.arn, next);
      return canonSecret(next);
    });
  }

  delete(accountId: string, region: string, name: string): Promise<void> {
    return this.c.run(({ secrets: s }) => {
      s.delete(must(s, accountId, region, name).arn);
    });
  }
}
