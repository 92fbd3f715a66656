/**
 * Catches the one transaction mistake that would otherwise hang a server: inside
 * `store.transaction(async (tx) => ...)`, calling the outer `store` instead of `tx`. Drivers that
 * serialize transactions (SQLite's single connection, the memory driver's lock) would wait for
 * the very transaction that is waiting for them. Each driver marks the async context of a
 * running transaction, and an outer call from within it throws `StoreMisuse` instead.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** A running transaction: which store it belongs to and whether it has ended. */
export interface TxScope {
  readonly owner: object;
  done: boolean;
}

const scopes = new AsyncLocalStorage<TxScope>();

/** A programming error in the use of the store (not a data condition services should map). */
export class StoreMisuse extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreMisuse';
  }
}

/** Runs `fn` marked as inside a transaction of `scope.owner`. */
export function runInScope<T>(scope: TxScope, fn: () => Promise<T>): Promise<T> {
  return scopes.run(scope, fn);
}

/** Throws when called (outside a transaction) from within a running transaction of the same store. */
export function assertNotInOwnTransaction(owner: object): void {
  const scope = scopes.getStore();
  if (scope !== undefined && scope.owner === owner && !scope.done) {
    throw new StoreMisuse('the outer store was used inside its own transaction; use the `tx` argument');
  }
}

/** Throws when a transaction handle is used after its transaction ended. */
export function assertOpen(scope: TxScope | undefined): void {
  if (scope?.done === true) throw new StoreMisuse('transaction handle used after the transaction ended');
}
