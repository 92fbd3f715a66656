/**
 * ECR Public as a partition of the one ECR store and service (ADR 005).
 *
 * Amazon ECR Public is a separate, global service (`ecr-public`, API in `us-east-1` only): its
 * repositories belong to an account but to no region, their ARNs have no region
 * (`arn:aws:ecr-public::<account>:repository/<name>`), anyone may pull from them, and their
 * registry is `public.ecr.aws/<registry alias>/<name>`. Everything else — images, tags, blobs,
 * uploads, repository policies, tags on repositories, the push path — works as in private ECR.
 * So crossdock keeps public repositories where private ones live, keyed by (account, region) with
 * the reserved region label {@link PUBLIC_REGION}, which no AWS region can be (region names end in
 * a digit), and the ECR operations serve them unchanged once the caller's request region is that
 * label; what differs (ARNs, the `ecr-public:` action names, anonymous pulls) is decided here.
 */
import { createHmac } from 'node:crypto';
import type { RepositoryRef } from '../../../store/meta/records.js';

/** The region label of ECR Public's repositories in the store. */
export const PUBLIC_REGION = 'public';

/** The region ECR Public's API is served in. */
export const PUBLIC_API_REGION = 'us-east-1';

/** Whether a repository (or registry) is an ECR Public one. */
export function isPublicRegion(region: string): boolean {
  return region === PUBLIC_REGION;
}

/** `arn:aws:ecr-public::<account>:repository/<name>`. */
export function publicRepositoryArn(accountId: string, name: string): string {
  return `arn:aws:ecr-public::${accountId}:repository/${name}`;
}

/** `arn:aws:ecr-public::<account>:registry/<account>`. */
export function publicRegistryArn(accountId: string): string {
  return `arn:aws:ecr-public::${accountId}:registry/${accountId}`;
}

/**
 * The IAM action a repository operation is checked as: ECR's `ecr:<Op>` for a private
 * repository, `ecr-public:<Op>` for a public one (the operations have the same names).
 */
export function actionFor(ref: RepositoryRef, action: string): string {
  return isPublicRegion(ref.region) && action.startsWith('ecr:') ? `ecr-public:${action.slice(4)}` : action;
}

/**
 * The registry requests anyone may make on a public repository, credentials or not: ECR Public
 * has no IAM action for pulling (no `ecr-public:BatchGetImage` or `GetDownloadUrlForLayer`), so
 * there is nothing to authorize. Listing tags and checking a layer are reads of the same kind.
 */
export const PUBLIC_READ_ACTIONS: ReadonlySet<string> = new Set([
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchCheckLayerAvailability',
  'ecr:ListImages',
]);

const ALIAS_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * An account's default registry alias: eight lowercase letters and digits, as AWS gives every
 * public registry (AWS draws it at random and keeps it; crossdock derives it from the server's
 * secret key, so it is just as unguessable from the account id, stable across restarts, and
 * needs no storage).
 */
export function defaultRegistryAlias(key: Uint8Array, accountId: string): string {
  const mac = createHmac('sha256', key).update(`ecr-public registry alias\0${accountId}`).digest();
  let alias = '';
  // The first character is a letter, so an alias is never all digits (never an account id).
  alias += ALIAS_ALPHABET[mac[0]! % 26];
  for (let i = 1; i < 8; i++) alias += ALIAS_ALPHABET[mac[i]! % ALIAS_ALPHABET.length];
  return alias;
}
