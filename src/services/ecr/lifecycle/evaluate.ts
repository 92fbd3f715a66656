/**
 * The lifecycle evaluator: which images of a repository a lifecycle policy expires now, and by
 * which rule. PURE (images + rules + now in, decisions out), so that StartLifecyclePolicyPreview
 * and a lifecycle run call the same function on the same inputs and a preview is what a run does.
 *
 * AWS's evaluation rules ("How lifecycle policies work"), as applied here:
 * 1. Rules are applied in ascending `rulePriority`.
 * 2. A rule selects images by tag status: `untagged` (no tags), `tagged` with a prefix list (every
 *    prefix starts some tag of the image) or a pattern list (every pattern matches some tag whole,
 *    `*` standing for any run of characters), or `any`.
 * 3. Among the images it selects, a rule picks by push time: `imageCountMoreThan N` keeps the N
 *    most recently pushed and picks the rest; `sinceImagePushed N` (days) picks those pushed more
 *    than N days before now; `sinceImagePulled N` those last pulled (or, never pulled, pushed)
 *    more than N days before now. Selection counts every image the rule selects, including images
 *    an earlier rule already expires ("identified as if they had not been expired").
 * 4. An image is expired by at most one rule, the first that picks it; and a rule never expires an
 *    image that a higher-priority rule selected (its tagging requirements protect it), whether or
 *    not that rule expired it.
 * Ties in push time are broken by digest, so the outcome never depends on input order.
 */
import type { LifecyclePolicy, LifecycleRule } from './policy.js';

/** What the evaluator needs of an image. */
export interface LifecycleImage {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt: Date;
  readonly lastPulledAt?: Date;
}

/** An image the policy expires, and the priority of the rule that expires it. */
export interface LifecycleExpiry {
  readonly digest: string;
  readonly rulePriority: number;
}

const DAY_MS = 86_400_000;

/** Whether `tag` matches `pattern` whole, `*` matching any run of characters (none included). */
export function tagMatchesPattern(tag: string, pattern: string): boolean {
  const parts = pattern.split('*');
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (parts.length === 1) return tag === pattern;
  if (!tag.startsWith(first) || tag.length < first.length + last.length || !tag.endsWith(last)) return false;
  let at = first.length;
  const end = tag.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = tag.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

/** Whether a rule's tagging requirements select the image. */
export function ruleSelects(rule: LifecycleRule, image: LifecycleImage): boolean {
  switch (rule.tagStatus) {
    case 'any':
      return true;
    case 'untagged':
      return image.tags.length === 0;
    case 'tagged':
      if (image.tags.length === 0) return false;
      if (rule.tagPrefixList !== undefined)
        return rule.tagPrefixList.every((p) => image.tags.some((t) => t.startsWith(p)));
      return (rule.tagPatternList ?? []).every((p) => image.tags.some((t) => tagMatchesPattern(t, p)));
  }
}

/** Newest first: by push time descending, then digest. */
function newestFirst(a: LifecycleImage, b: LifecycleImage): number {
  const d = b.pushedAt.getTime() - a.pushedAt.getTime();
  return d !== 0 ? d : a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

/** The images among `selected` that a rule picks for expiry at `now`. */
function picked(rule: LifecycleRule, selected: readonly LifecycleImage[], now: Date): LifecycleImage[] {
  switch (rule.countType) {
    case 'imageCountMoreThan':
      return [...selected].sort(newestFirst).slice(rule.countNumber);
    case 'sinceImagePushed':
      return selected.filter((i) => now.getTime() - i.pushedAt.getTime() > rule.countNumber * DAY_MS);
    case 'sinceImagePulled':
      return selected.filter(
        (i) => now.getTime() - (i.lastPulledAt ?? i.pushedAt).getTime() > rule.countNumber * DAY_MS,
      );
  }
}

/**
 * The images `policy` expires at `now`, oldest push first (AWS always expires older images
 * before newer ones), each with the priority of the rule that expires it.
 */
export function evaluateLifecycle(
  policy: LifecyclePolicy,
  images: readonly LifecycleImage[],
  now: Date,
): LifecycleExpiry[] {
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const expiredBy = new Map<string, number>();
  const protectedByEarlier = new Set<string>();
  for (const rule of rules) {
    const selected = images.filter((i) => ruleSelects(rule, i));
    for (const img of picked(rule, selected, now)) {
      if (expiredBy.has(img.digest) || protectedByEarlier.has(img.digest)) continue;
      expiredBy.set(img.digest, rule.rulePriority);
    }
    for (const img of selected) protectedByEarlier.add(img.digest);
  }
  return images
    .filter((i) => expiredBy.has(i.digest))
    .sort((a, b) => a.pushedAt.getTime() - b.pushedAt.getTime() || (a.digest < b.digest ? -1 : 1))
    .map((i) => ({ digest: i.digest, rulePriority: expiredBy.get(i.digest) as number }));
}
