/**
 * ECR lifecycle policies: the text PutLifecyclePolicy and StartLifecyclePolicyPreview take,
 * parsed and checked against the grammar ECR enforces, into the rules the evaluator applies.
 * Pure: no store, no clock.
 *
 * The grammar (ECR user guide, "Lifecycle policy properties" and "How lifecycle policies work"):
 *
 * ```
 * { "rules": [ { "rulePriority": 1, "description": "…",
 *     "selection": { "tagStatus": "tagged" | "untagged" | "any",
 *                    "tagPrefixList": ["prod"] | "tagPatternList": ["prod*"],
 *                    "countType": "imageCountMoreThan" | "sinceImagePushed" | "sinceImagePulled",
 *                    "countUnit": "days", "countNumber": 14 },
 *     "action": { "type": "expire" } } ] }
 * ```
 *
 * What ECR refuses, and so does this module: a rule priority that is not a positive integer or is
 * used twice; a `tagged` rule without exactly one of `tagPrefixList` / `tagPatternList`; a list on
 * an `untagged` or `any` rule; a pattern with more than four `*`; more than one rule selecting
 * untagged images; an `any` rule that does not have the highest priority; two rules with the same
 * set of tag prefixes (or patterns); `countUnit` with `imageCountMoreThan`, or without `days` for
 * the `since*` count types; a `countNumber` that is not a positive integer; members the grammar
 * does not know. crossdock has no archive storage class, so `transition`, `storageClass` and
 * `sinceImageTransitioned` are refused with a sentence that says so.
 *
 * Every refusal is one `LifecyclePolicyError` whose reason ECR's InvalidParameterException
 * carries (`Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle
 * policy validation failure: <reason>'`); the reasons are crossdock's words (AWS's are JSON-schema
 * messages, not documented).
 */

/** Which images a rule looks at. */
export type TagStatus = 'tagged' | 'untagged' | 'any';

/** How a rule picks, among the images it selects, those that expire. */
export type CountType = 'imageCountMoreThan' | 'sinceImagePushed' | 'sinceImagePulled';

/** One rule of a lifecycle policy, checked. */
export interface LifecycleRule {
  readonly rulePriority: number;
  readonly description?: string;
  readonly tagStatus: TagStatus;
  /** Tagged rules: every prefix must start some tag of the image. */
  readonly tagPrefixList?: readonly string[];
  /** Tagged rules: every pattern (`*` = any run of characters) must match some tag of the image. */
  readonly tagPatternList?: readonly string[];
  readonly countType: CountType;
  /** `imageCountMoreThan`: images kept; `since*`: days. */
  readonly countNumber: number;
}

/** A checked lifecycle policy: its rules by ascending priority. */
export interface LifecyclePolicy {
  readonly rules: readonly LifecycleRule[];
}

/** Why a lifecycle policy text was refused (the reason, in crossdock's words). */
export class LifecyclePolicyError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'LifecyclePolicyError';
  }
}

/** ECR's length limits of `lifecyclePolicyText` (botocore model). */
export const LIFECYCLE_POLICY_LENGTH = { min: 100, max: 30_720 } as const;

/** ECR documents at most four wildcards per tag pattern. */
export const MAX_PATTERN_WILDCARDS = 4;

const TAG_STATUSES: readonly TagStatus[] = ['tagged', 'untagged', 'any'];
const COUNT_TYPES: readonly CountType[] = ['imageCountMoreThan', 'sinceImagePushed', 'sinceImagePulled'];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(reason: string): never {
  throw new LifecyclePolicyError(reason);
}

function onlyKnown(o: { [k: string]: Json }, known: readonly string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) fail(`\`${where}\` has a member the grammar does not know: \`${k}\``);
  }
}

function positiveInteger(v: Json | undefined, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1)
    fail(`\`${where}\` must be a positive integer`);
  return v;
}

function stringList(v: Json | undefined, where: string): string[] {
  if (!Array.isArray(v) || v.length === 0) fail(`\`${where}\` must be a non-empty list of strings`);
  const out: string[] = [];
  for (const [i, s] of v.entries()) {
    if (typeof s !== 'string' || s.length === 0) fail(`\`${where}[${i}]\` must be a non-empty string`);
    out.push(s);
  }
  return out;
}

function parseRule(v: Json, i: number): LifecycleRule {
  const at = `rules[${i}]`;
  if (!isObject(v)) fail(`\`${at}\` must be an object`);
  onlyKnown(v, ['rulePriority', 'description', 'selection', 'action'], at);
  const rulePriority = positiveInteger(v.rulePriority, `${at}.rulePriority`);
  const description = v.description;
  if (description !== undefined && typeof description !== 'string')
    fail(`\`${at}.description\` must be a string`);

  const action = v.action;
  if (!isObject(action)) fail(`\`${at}.action\` is required`);
  onlyKnown(action, ['type', 'targetStorageClass'], `${at}.action`);
  if (action.type === 'transition' || action.targetStorageClass !== undefined)
    fail(`\`${at}.action\`: crossdock has no archive storage class, only \`expire\` is supported`);
  if (action.type !== 'expire') fail(`\`${at}.action.type\` must be \`expire\``);

  const sel = v.selection;
  if (!isObject(sel)) fail(`\`${at}.selection\` is required`);
  const where = `${at}.selection`;
  onlyKnown(
    sel,
    ['tagStatus', 'tagPrefixList', 'tagPatternList', 'storageClass', 'countType', 'countUnit', 'countNumber'],
    where,
  );
  if (sel.storageClass !== undefined && sel.storageClass !== 'standard')
    fail(`\`${where}.storageClass\`: crossdock has no archive storage class, only \`standard\``);
  const tagStatus = sel.tagStatus;
  if (typeof tagStatus !== 'string' || !(TAG_STATUSES as readonly string[]).includes(tagStatus))
    fail(`\`${where}.tagStatus\` must be one of \`tagged\`, \`untagged\`, \`any\``);
  const hasPrefixes = sel.tagPrefixList !== undefined;
  const hasPatterns = sel.tagPatternList !== undefined;
  let tagPrefixList: string[] | undefined;
  let tagPatternList: string[] | undefined;
  if (tagStatus === 'tagged') {
    if (hasPrefixes === hasPatterns)
      fail(`\`${where}\`: a \`tagged\` rule needs exactly one of \`tagPrefixList\` and \`tagPatternList\``);
    if (hasPrefixes) tagPrefixList = stringList(sel.tagPrefixList, `${where}.tagPrefixList`);
    else {
      tagPatternList = stringList(sel.tagPatternList, `${where}.tagPatternList`);
      for (const [j, p] of tagPatternList.entries()) {
        if ([...p].filter((c) => c === '*').length > MAX_PATTERN_WILDCARDS)
          fail(
            `\`${where}.tagPatternList[${j}]\` has more than ${MAX_PATTERN_WILDCARDS} wildcards: \`${p}\``,
          );
      }
    }
  } else if (hasPrefixes || hasPatterns) {
    fail(`\`${where}\`: an \`${tagStatus}\` rule takes neither \`tagPrefixList\` nor \`tagPatternList\``);
  }

  const countType = sel.countType;
  if (countType === 'sinceImageTransitioned')
    fail(`\`${where}.countType\`: crossdock has no archive storage class, so no \`sinceImageTransitioned\``);
  if (typeof countType !== 'string' || !(COUNT_TYPES as readonly string[]).includes(countType))
    fail(
      `\`${where}.countType\` must be one of \`imageCountMoreThan\`, \`sinceImagePushed\`, \`sinceImagePulled\``,
    );
  if (countType === 'imageCountMoreThan') {
    if (sel.countUnit !== undefined)
      fail(`\`${where}.countUnit\` cannot be used with \`imageCountMoreThan\``);
  } else if (sel.countUnit !== 'days') {
    fail(`\`${where}.countUnit\` must be \`days\` with \`${countType}\``);
  }
  const countNumber = positiveInteger(sel.countNumber, `${where}.countNumber`);

  return {
    rulePriority,
    ...(description !== undefined && { description }),
    tagStatus: tagStatus as TagStatus,
    ...(tagPrefixList !== undefined && { tagPrefixList }),
    ...(tagPatternList !== undefined && { tagPatternList }),
    countType: countType as CountType,
    countNumber,
  };
}

/** The checks that look at the rules together. */
function checkRuleSet(rules: readonly LifecycleRule[]): void {
  const priorities = new Set<number>();
  for (const r of rules) {
    if (priorities.has(r.rulePriority)) fail(`rule priority ${r.rulePriority} is used by more than one rule`);
    priorities.add(r.rulePriority);
  }
  const highest = Math.max(...rules.map((r) => r.rulePriority));
  for (const r of rules) {
    if (r.tagStatus === 'any' && r.rulePriority !== highest)
      fail(`the rule with \`tagStatus\` \`any\` (priority ${r.rulePriority}) must have the highest priority`);
  }
  if (rules.filter((r) => r.tagStatus === 'untagged').length > 1)
    fail('only one rule may select untagged images');
  const lists = new Set<string>();
  for (const r of rules) {
    const list = r.tagPrefixList ?? r.tagPatternList;
    if (list === undefined) continue;
    const key = `${r.tagPrefixList !== undefined ? 'prefix' : 'pattern'}:${JSON.stringify([...new Set(list)].sort())}`;
    if (lists.has(key))
      fail(
        `the tag ${r.tagPrefixList !== undefined ? 'prefixes' : 'patterns'} of rule ${r.rulePriority} repeat another rule's`,
      );
    lists.add(key);
  }
}

/**
 * Parses and checks a lifecycle policy text; throws {@link LifecyclePolicyError}. The length
 * limits are the API model's and are checked by the caller (they have their own message).
 */
export function parseLifecyclePolicy(text: string): LifecyclePolicy {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch {
    fail('the policy is not valid JSON');
  }
  if (!isObject(doc)) fail('the policy must be a JSON object');
  onlyKnown(doc, ['rules'], 'policy');
  if (!Array.isArray(doc.rules) || doc.rules.length === 0) fail('`rules` must be a non-empty list');
  const rules = doc.rules.map(parseRule);
  checkRuleSet(rules);
  return { rules: [...rules].sort((a, b) => a.rulePriority - b.rulePriority) };
}
