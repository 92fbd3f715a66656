/**
 * A generated case as crossdock's request: every document compiled through a {@link PolicyCache},
 * as the server does, so that a policy text is parsed once however many requests use it. The
 * principal's and the resource's condition keys are left for the engine to derive.
 */
import {
  evaluate,
  type AuthzRequest,
  type Decision,
  type PolicyCache,
  type PolicyKind,
  type PolicyRef,
} from '../../src/iam/index.js';
import type { GeneratedCase, PolicyJson } from './generate.js';

/** The policy text a case's document is stored as (what a user would send to the API). */
export function policyText(doc: PolicyJson): string {
  return JSON.stringify(doc);
}

/** crossdock's request for a case, compiling every document through `cache`. */
export function crossdockRequest(c: GeneratedCase, cache: PolicyCache): AuthzRequest {
  const ref = (id: string, doc: PolicyJson, kind: PolicyKind): PolicyRef => ({
    id,
    policy: cache.get(policyText(doc), kind),
  });
  const p = c.policies;
  return {
    principal: c.principal,
    action: c.action,
    resource: c.resource,
    resourceAccount: c.resourceAccount,
    ...(c.resourceTags && { resourceTags: c.resourceTags }),
    context: c.context,
    policies: {
      identity: p.identity.map((d, i) => ref(`identity-${i}`, d, 'identity')),
      ...(p.resource && { resource: [ref('repository', p.resource, 'repository')] }),
      ...(p.boundary && { boundary: ref('boundary', p.boundary, 'boundary') }),
      ...(p.session && { session: [ref('session', p.session, 'session')] }),
      ...(p.scp && { scp: p.scp.map((level, l) => level.map((d, i) => ref(`scp-${l}-${i}`, d, 'scp'))) }),
    },
  };
}

/** crossdock's decision for a case. */
export function crossdockDecision(c: GeneratedCase, cache: PolicyCache): Decision {
  return evaluate(crossdockRequest(c, cache)).decision;
}

/** Every document of a case with the kind crossdock parses it as. */
export function caseDocuments(c: GeneratedCase): { doc: PolicyJson; kind: PolicyKind }[] {
  const p = c.policies;
  return [
    ...p.identity.map((doc) => ({ doc, kind: 'identity' as const })),
    ...(p.resource ? [{ doc: p.resource, kind: 'repository' as const }] : []),
    ...(p.boundary ? [{ doc: p.boundary, kind: 'boundary' as const }] : []),
    ...(p.session ? [{ doc: p.session, kind: 'session' as const }] : []),
    ...(p.scp ?? []).flat().map((doc) => ({ doc, kind: 'scp' as const })),
  ];
}
