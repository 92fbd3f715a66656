/**
 * The policy document model: the JSON grammar of AWS policies after parsing and normalisation
 * (single strings become one-element arrays), before compilation. Printing it gives back an
 * equivalent document (see print.ts).
 */

/** The two grammar versions AWS accepts; 2008-10-17 has no policy variables. */
export type PolicyVersion = '2012-10-17' | '2008-10-17';

/** A statement's effect. */
export type Effect = 'Allow' | 'Deny';

/**
 * Where a document is used; each kind has its own grammar rules (AWS validates them differently).
 * `repository` and `registry` are ECR's resource policies; `trust` is a role's assume-role policy;
 * `resource` is any other resource-based policy.
 */
export type PolicyKind =
  'identity' | 'boundary' | 'session' | 'scp' | 'rcp' | 'trust' | 'repository' | 'registry' | 'resource';

/** `Principal: "*"` or the object form keyed by principal type. */
export type PrincipalBlock =
  | { readonly kind: 'wildcard' }
  | {
      readonly kind: 'map';
      readonly AWS?: readonly string[];
      readonly Service?: readonly string[];
      readonly Federated?: readonly string[];
      readonly CanonicalUser?: readonly string[];
    };

/** One condition clause: `{ operator: { key: values } }` flattened. */
export interface ConditionClause {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

/** A statement after parsing; exactly one of each Action/NotAction pair is set. */
export interface Statement {
  /** Position in the document, zero-based; used to point at the statement in errors and explanations. */
  readonly index: number;
  readonly sid?: string;
  readonly effect: Effect;
  readonly principal?: PrincipalBlock;
  readonly notPrincipal?: PrincipalBlock;
  readonly action?: readonly string[];
  readonly notAction?: readonly string[];
  readonly resource?: readonly string[];
  readonly notResource?: readonly string[];
  /** The raw Condition value as written (an object), or undefined when absent or `{}`. */
  readonly condition?: Readonly<Record<string, unknown>>;
}

/** A parsed, validated policy document. */
export interface PolicyDocument {
  readonly version: PolicyVersion;
  /** True when the document named its Version; false means the legacy default applied. */
  readonly versionGiven: boolean;
  readonly id?: string;
  /** True when Statement was written as a single object rather than an array. */
  readonly singleStatement: boolean;
  readonly statements: readonly Statement[];
}
