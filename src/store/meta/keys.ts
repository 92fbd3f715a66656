/**
 * Key derivations every driver applies in TypeScript (never in SQL, whose `lower()` differs by
 * dialect), so that uniqueness and lookups agree across drivers.
 */

/** The case-insensitive form of an IAM name, alias or email: IAM does not distinguish names by case. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/**
 * The path of a managed policy from its ARN (`arn:aws:iam::123:policy/a/b/Name` → `/a/b/`), for
 * `pathPrefix` filters over attachments of policies the store may not hold (AWS managed ones).
 */
export function policyPathFromArn(arn: string): string {
  const at = arn.indexOf(':policy/');
  if (at < 0) return '/';
  const resource = arn.slice(at + ':policy'.length);
  return resource.slice(0, resource.lastIndexOf('/') + 1);
}

/** The number of a policy version id (`v12` → 12), or `undefined` for anything else. */
export function parseVersionId(versionId: string): number | undefined {
  const m = /^v([1-9][0-9]{0,8})$/.exec(versionId);
  return m === null ? undefined : Number(m[1]);
}

/** How errors and logs name a repository: `account/region/name` (never parsed back). */
export function repositoryKey(ref: {
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
}): string {
  return `${ref.accountId}/${ref.region}/${ref.name}`;
}
