/**
 * Registry aliases → accounts, for the names of ECR Public's registry (`<alias>/<repository>`).
 * Aliases are derived from the account id ({@link defaultRegistryAlias}), so the map is rebuilt
 * from the account list when an alias is not in it (a new account, or a name that is nobody's),
 * once per change of the store.
 */
import { listAll } from '../../authz.js';
import type { EcrDeps } from '../deps.js';
import { defaultRegistryAlias } from './partition.js';

export class PublicAliases {
  private readonly accounts = new Map<string, string>();
  /** The store's change stamp when the accounts were last listed. */
  private listedAt: string | undefined;

  constructor(private readonly deps: EcrDeps) {}

  /** The alias of an account's public registry. */
  aliasOf(accountId: string): string {
    return defaultRegistryAlias(this.deps.registryTokenKey, accountId);
  }

  /** The account whose public registry has `alias`, or `undefined`. */
  async accountOf(alias: string): Promise<string | undefined> {
    const known = this.accounts.get(alias);
    if (known !== undefined) return known;
    // An unknown name lists the accounts again only if the store changed since the last listing,
    // so that requests for names that are nobody's cost no store reads.
    const store = this.deps.store as { changeStamp?(): string };
    const stamp = typeof store.changeStamp === 'function' ? store.changeStamp() : undefined;
    if (stamp !== undefined && stamp === this.listedAt) return undefined;
    this.listedAt = stamp;
    const all = await listAll((marker) =>
      this.deps.store.accounts.list(marker === undefined ? {} : { marker }),
    );
    for (const a of all) this.accounts.set(this.aliasOf(a.id), a.id);
    return this.accounts.get(alias);
  }
}
