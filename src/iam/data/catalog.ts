/**
 * The shape of the action catalogues in this folder. Each catalogue transcribes one service's page of
 * the AWS Service Authorization Reference ("Actions, resources, and condition keys for …"): the
 * action names AWS accepts in an `Action` element, the resource type each action is authorized on,
 * and (for the services whose resources crossdock owns) the condition keys the action supplies.
 * Descriptions are left out on purpose: crossdock needs the facts, not AWS's prose.
 */

/** Service prefixes crossdock catalogues: the services it emulates, whose actions policies name. */
export type ServicePrefix = 'ecr' | 'ecr-public' | 'sts' | 'iam' | 'organizations' | 'secretsmanager';

/**
 * The access level AWS assigns an action. One per action, as the reference's HTML table shows it;
 * the programmatic reference also flags permission-management and tagging actions as writes, and
 * those collapse to `Permissions management` and `Tagging` here. Linting and explanations group
 * actions by it ("grants write access to …").
 */
export type AccessLevel = 'List' | 'Read' | 'Write' | 'Permissions management' | 'Tagging';

/** A resource type of one service: the ARN an action is authorized on, so requests can build it. */
export interface ResourceTypeDefinition {
  /** The reference's name for the type, e.g. `repository`. */
  readonly name: string;
  /** The ARN template exactly as published, `${Partition}`, `${Region}`, … as placeholders. */
  readonly arn: string;
  /** Condition keys every action on this type can be filtered by (e.g. `aws:ResourceTag/${TagKey}`). */
  readonly conditionKeys: readonly string[];
}

/** One resource type an action names; `required: false` marks the reference's optional types. */
export interface ActionResource {
  readonly type: string;
  readonly required: boolean;
}

/** One action as policies name it, with what authorizing it involves. */
export interface ActionDefinition {
  readonly service: ServicePrefix;
  /** The action name in AWS's spelling, without the prefix, e.g. `BatchGetImage`. */
  readonly name: string;
  /** `service:name`, the form a policy and an AccessDenied message use. */
  readonly action: string;
  readonly accessLevel: AccessLevel;
  /**
   * Resource types the action is authorized on, in the reference's order. Empty: the action has no
   * resource type and is authorized on `*` (only a statement whose Resource matches `*` grants it).
   */
  readonly resources: readonly ActionResource[];
  /**
   * Action-specific condition keys (request tags, tag keys, …), without the resource types' keys.
   * Catalogued for `ecr` and `ecr-public` only; `undefined` for the other services.
   */
  readonly conditionKeys?: readonly string[];
}

/** One service's catalogue. */
export interface ServiceCatalog {
  readonly prefix: ServicePrefix;
  /** The service's name as the reference titles it. */
  readonly name: string;
  readonly resourceTypes: Readonly<Record<string, ResourceTypeDefinition>>;
  /** Every action of the service, sorted by name. */
  readonly actions: readonly ActionDefinition[];
}

/**
 * One table row: name, access level, resource types (a trailing `?` marks an optional one), and,
 * where catalogued, the action's condition keys. Rows keep the tables one line per action.
 */
export type ActionRow = readonly [
  name: string,
  accessLevel: AccessLevel,
  resources?: readonly string[],
  conditionKeys?: readonly string[],
];

/** Builds a catalogue from compact rows, so the per-service files read as the reference's tables. */
export function defineCatalog(
  prefix: ServicePrefix,
  name: string,
  resourceTypes: readonly ResourceTypeDefinition[],
  rows: readonly ActionRow[],
  options: { readonly withConditionKeys: boolean },
): ServiceCatalog {
  const types: Record<string, ResourceTypeDefinition> = {};
  for (const t of resourceTypes) types[t.name] = t;
  const actions = rows
    .map(([actionName, accessLevel, resources = [], conditionKeys = []]): ActionDefinition => {
      const def: ActionDefinition = {
        service: prefix,
        name: actionName,
        action: `${prefix}:${actionName}`,
        accessLevel,
        resources: resources.map((r) =>
          r.endsWith('?') ? { type: r.slice(0, -1), required: false } : { type: r, required: true },
        ),
      };
      return options.withConditionKeys ? { ...def, conditionKeys } : def;
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { prefix, name, resourceTypes: types, actions };
}
