/**
 * STS compresses session policies, managed policy ARNs and session tags into a packed binary form
 * that lives inside the session token and has its own size limit; `PackedPolicySize` reports how
 * much of it a request used, in percent, and above 100 % the request fails with
 * `PackedPolicyTooLarge`. AWS does not publish the format, so crossdock estimates it: the deflated
 * size of the minified inputs against fixed budgets. Small inputs land in the single digits as in
 * AWS's examples, a near-2,048-character policy or dozens of long tags go over.
 */
import { deflateRawSync } from 'node:zlib';
import type { Tag } from '../../store/meta/records.js';

/** Compressed bytes the policy part may use (crossdock's estimate of AWS's hidden limit). */
const POLICY_BUDGET = 2048;
/** Compressed bytes the tag part may use. */
const TAG_BUDGET = 1024;

/** How full the packed form is, in percent of each part's budget and in total. */
export interface PackedSize {
  readonly policyPercent: number;
  readonly tagsPercent: number;
  /** What `PackedPolicySize` reports. */
  readonly percent: number;
}

function minify(policy: string): string {
  try {
    return JSON.stringify(JSON.parse(policy));
  } catch {
    return policy;
  }
}

function packedBytes(text: string): number {
  return text === '' ? 0 : deflateRawSync(Buffer.from(text, 'utf8'), { level: 9 }).length;
}

/** Estimates the packed size of a session's policies and tags. */
export function packedSize(
  policy: string | undefined,
  policyArns: readonly string[],
  tags: readonly Tag[],
): PackedSize {
  const policyText = [...(policy === undefined ? [] : [minify(policy)]), ...policyArns].join('\n');
  const tagText = tags.map((t) => `${t.key}=${t.value}`).join('\n');
  const policyPercent = Math.ceil((packedBytes(policyText) * 100) / POLICY_BUDGET);
  const tagsPercent = Math.ceil((packedBytes(tagText) * 100) / TAG_BUDGET);
  return { policyPercent, tagsPercent, percent: policyPercent + tagsPercent };
}
