/**
 * What the toolkit's commands are pointed at, read from the forms people paste: a repository as an
 * ARN, a `repositoryUri` (path-style or host-style, DESIGN.md) or a whole image reference, and a
 * principal as the ARN an AccessDenied message or `sts get-caller-identity` prints. Pure parsing:
 * no calls, so a typo is reported before any credentials are used.
 */

/** A repository: the ARN the policy engine decides on, and the parts the ECR API takes. */
export interface RepositoryTarget {
  readonly arn: string;
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
  /** The tag or digest of an image reference (`:v1`, `@sha256:…`), when one was given. */
  readonly reference?: string;
}

/** The caller a question is about, as its ARN names it. */
export type PrincipalTarget =
  | { readonly kind: 'root'; readonly accountId: string; readonly arn: string }
  | { readonly kind: 'user'; readonly accountId: string; readonly arn: string; readonly name: string }
  | { readonly kind: 'role'; readonly accountId: string; readonly arn: string; readonly name: string }
  | {
      readonly kind: 'session';
      readonly accountId: string;
      readonly arn: string;
      /** The role's name; a session ARN never carries the role's path. */
      readonly name: string;
      readonly sessionName: string;
    };

/** An argument the toolkit cannot read; the message says which form was expected. */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

const REPOSITORY_ARN = /^arn:(aws[a-z-]*):ecr:([a-z0-9-]+):(\d{12}):repository\/(.+)$/;
const HOST_STYLE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.[^/]+$/;
const PATH_REGISTRY = /^(\d{12})(?:\.([a-z]{2}(?:-[a-z]+)+-\d{1,2}))?$/;
const DIGEST_REF = /@(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const TAG_REF = /:([A-Za-z0-9_][A-Za-z0-9._-]{0,127})$/;

/**
 * A repository from `arn:aws:ecr:REGION:ACCOUNT:repository/NAME`, a path-style URI
 * `HOST[:PORT]/ACCOUNT[.REGION]/NAME` (the region defaults to `defaultRegion`, the server's) or a
 * host-style one `ACCOUNT.dkr.ecr.REGION.DOMAIN[:PORT]/NAME`; `image` also accepts a trailing
 * `:tag` or `@digest`, which is kept as `reference`.
 */
export function parseRepository(input: string, defaultRegion: string, image = false): RepositoryTarget {
  const arn = REPOSITORY_ARN.exec(input);
  if (arn !== null) {
    const [, partition, region, accountId, name] = arn as unknown as [string, string, string, string, string];
    return { arn: repositoryArnOf(partition, region, accountId, name), accountId, region, name };
  }
  let rest = input.replace(/^[a-z]+:\/\//, '');
  let reference: string | undefined;
  if (image) {
    const digest = DIGEST_REF.exec(rest);
    const lastSlash = rest.lastIndexOf('/');
    const tag = digest === null ? TAG_REF.exec(rest.slice(lastSlash + 1)) : null;
    if (digest !== null) {
      reference = `@${digest[1]}`;
      rest = rest.slice(0, digest.index);
    } else if (tag !== null && lastSlash !== -1) {
      reference = `:${tag[1]}`;
      rest = rest.slice(0, lastSlash + 1 + tag.index);
    }
  }
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) throw notARepository(input, image);
  const host = rest.slice(0, slash);
  const path = rest.slice(slash + 1);
  const hostStyle = HOST_STYLE.exec(host.replace(/:\d+$/, ''));
  let target: RepositoryTarget;
  if (hostStyle !== null) {
    const [, accountId, region] = hostStyle as unknown as [string, string, string];
    target = { arn: repositoryArnOf('aws', region, accountId, path), accountId, region, name: path };
  } else {
    const cut = path.indexOf('/');
    const registry = cut === -1 ? null : PATH_REGISTRY.exec(path.slice(0, cut));
    if (registry === null || cut === path.length - 1) throw notARepository(input, image);
    const accountId = registry[1] as string;
    const region = registry[2] ?? defaultRegion;
    const name = path.slice(cut + 1);
    target = { arn: repositoryArnOf('aws', region, accountId, name), accountId, region, name };
  }
  return reference === undefined ? target : { ...target, reference };
}

function repositoryArnOf(partition: string, region: string, accountId: string, name: string): string {
  return `arn:${partition}:ecr:${region}:${accountId}:repository/${name}`;
}

function notARepository(input: string, image: boolean): TargetError {
  const what = image ? 'an image reference' : 'a repository';
  return new TargetError(
    `\`${input}\` is not ${what}: expected arn:aws:ecr:REGION:ACCOUNT:repository/NAME, ` +
      `HOST/ACCOUNT[.REGION]/NAME or ACCOUNT.dkr.ecr.REGION.DOMAIN/NAME${image ? '[:TAG|@DIGEST]' : ''}`,
  );
}

const IAM_ENTITY = /^arn:aws[a-z-]*:iam::(\d{12}):(user|role)(\/(?:[^/]+\/)*)?([^/]+)$/;
const ROOT = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;
const SESSION = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;

/**
 * A principal from its ARN: an IAM user or role (`arn:aws:iam::A:user/path/name`), a role session
 * (`arn:aws:sts::A:assumed-role/Role/Session`, as AccessDenied messages name callers), or an
 * account's root (`arn:aws:iam::A:root` or the bare 12-digit id).
 */
export function parsePrincipal(input: string): PrincipalTarget {
  if (/^\d{12}$/.test(input)) return { kind: 'root', accountId: input, arn: `arn:aws:iam::${input}:root` };
  const root = ROOT.exec(input);
  if (root !== null) return { kind: 'root', accountId: root[1] as string, arn: input };
  const entity = IAM_ENTITY.exec(input);
  if (entity !== null) {
    const kind = entity[2] === 'user' ? 'user' : 'role';
    return { kind, accountId: entity[1] as string, arn: input, name: entity[4] as string };
  }
  const session = SESSION.exec(input);
  if (session !== null) {
    return {
      kind: 'session',
      accountId: session[1] as string,
      arn: input,
      name: session[2] as string,
      sessionName: session[3] as string,
    };
  }
  throw new TargetError(
    `\`${input}\` is not a principal ARN: expected arn:aws:iam::ACCOUNT:user/NAME, ` +
      'arn:aws:iam::ACCOUNT:role/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION or arn:aws:iam::ACCOUNT:root',
  );
}
