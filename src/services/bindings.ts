/**
 * Principals bound to their unique ids, as AWS keeps resource-based policies (repository and
 * registry policies, role trust policies). When a policy is saved, AWS resolves each IAM user or
 * role it names to that entity's unique id (`AIDA…`, `AROA…`) and keeps the id: if the entity is
 * deleted, the policy reads back with the bare id in place of the ARN, and a new entity created
 * under the same name is not the principal the policy names until the policy is saved again.
 *
 * crossdock keeps the policy text as the caller sent it, plus the bindings (ARN → unique id) taken
 * when it was saved. Two places use them:
 * - a decision ({@link boundForCaller}): only the caller's own ARN can matter (principals name
 *   exact ARNs, no wildcards), so a policy is rewritten only when it binds the caller's ARN to
 *   another id — then that entry names the old id, which the engine matches against the caller's
 *   unique id and which no longer matches; nothing is looked up;
 * - reading a policy back ({@link presentBound}): each bound ARN whose entity is gone or was
 *   replaced is shown as the id it was bound to.
 */
import type { Caller } from '../auth/caller.js';
import { roleArn, userArn } from '../auth/caller.js';
import type { MetadataTx } from '../store/meta/MetadataStore.js';
import type { PrincipalBindings } from '../store/meta/records.js';

const IAM_ENTITY_ARN = /^arn:aws:iam::(\d{12}):(user|role)(\/(?:.*\/)?)([^/]+)$/;

/**
 * The unique id of the IAM user or role a principal value names by its exact ARN (path and case
 * included), or `undefined` when it names something else (an account, `*`, a service, a session
 * ARN, a unique id) or nothing that exists.
 */
export async function uniqueIdOf(store: MetadataTx, value: string): Promise<string | undefined> {
  const m = IAM_ENTITY_ARN.exec(value);
  if (m === null) return undefined;
  const [, accountId, type, , name] = m as unknown as [string, string, 'user' | 'role', string, string];
  if (type === 'user') {
    const u = await store.users.get(accountId, name);
    return u !== undefined && userArn(u) === value ? u.id : undefined;
  }
  const r = await store.roles.get(accountId, name);
  return r !== undefined && roleArn(r) === value ? r.id : undefined;
}

/** The ARN and unique id of the IAM user or role behind a caller, if there is one. */
function callerEntity(caller: Caller): { arn: string; id: string } | undefined {
  const id = caller.identity;
  if (id.kind === 'user' || id.kind === 'user-session') return { arn: userArn(id.user), id: id.user.id };
  if (id.kind === 'role-session') return { arn: roleArn(id.role), id: id.role.id };
  return undefined;
}

/**
 * The policy text as it applies to `caller`: unchanged unless it binds the caller's ARN to another
 * unique id (the caller's user or role replaced one of the same name), in which case those
 * principal entries name the old id.
 */
export function boundForCaller(
  text: string,
  bindings: PrincipalBindings | undefined,
  caller: Caller,
): string {
  if (bindings === undefined) return text;
  const me = callerEntity(caller);
  if (me === undefined) return text;
  const bound = bindings[me.arn];
  if (bound === undefined || bound === me.id) return text;
  return rewritePrincipals(text, new Map([[me.arn, bound]]));
}

/**
 * The policy text as AWS reads it back: each bound user or role that no longer exists under its
 * ARN with the same unique id is shown by that id. Unchanged (the very text saved) while every
 * binding still holds.
 */
export async function presentBound(
  store: MetadataTx,
  text: string,
  bindings: PrincipalBindings | undefined,
): Promise<string> {
  if (bindings === undefined) return text;
  const stale = new Map<string, string>();
  for (const [arn, id] of Object.entries(bindings)) {
    if ((await uniqueIdOf(store, arn)) !== id) stale.set(arn, id);
  }
  return stale.size === 0 ? text : rewritePrincipals(text, stale);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Replaces principal values (`Principal.AWS` and `NotPrincipal.AWS`, string or list) found in
 * `replace`; conditions and everything else stay as they were. The text is re-serialised, so this
 * runs only when something is replaced.
 */
function rewritePrincipals(text: string, replace: ReadonlyMap<string, string>): string {
  const doc = JSON.parse(text) as Json;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return text;
  const statements = doc.Statement;
  const list = Array.isArray(statements) ? statements : statements === undefined ? [] : [statements];
  const swap = (v: Json): Json => (typeof v === 'string' ? (replace.get(v) ?? v) : v);
  for (const s of list) {
    if (s === null || typeof s !== 'object' || Array.isArray(s)) continue;
    for (const key of ['Principal', 'NotPrincipal']) {
      const block = s[key];
      if (block === null || typeof block !== 'object' || Array.isArray(block)) continue;
      const aws = block.AWS;
      if (aws !== undefined) block.AWS = Array.isArray(aws) ? aws.map(swap) : swap(aws);
    }
  }
  return JSON.stringify(doc);
}
