/**
 * A generated case as input for `@cloud-copilot/iam-simulate` (AGPL: a devDependency, used only
 * from test/ and bench/, never from src/), and its answer in crossdock's terms.
 *
 * iam-simulate does not derive the principal's and the resource's condition keys ("coming soon"
 * in its README), so they are written out here from the AWS global condition key reference
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html). A
 * root caller has no identity policies but every permission in its account; iam-simulate has no
 * notion of that, so it gets one implicit `Allow *:*` identity policy in their place.
 */
import {
  anonymousPrincipal,
  runSimulation,
  type RunSimulationResults,
  type Simulation,
} from '@cloud-copilot/iam-simulate';
import type { Decision } from '../../src/iam/index.js';
import type { GeneratedCase, PolicyJson } from './generate.js';

const ROOT_IMPLICIT: PolicyJson = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'RootUserImplicit', Effect: 'Allow', Action: '*', Resource: '*' }],
};

/**
 * The condition keys AWS sets from the caller and the resource, written out for iam-simulate
 * (reference_policies_condition-keys.html, "Properties of the principal" / "of the resource").
 */
export function derivedContext(c: GeneratedCase): Record<string, string | string[]> {
  const p = c.principal;
  const out: Record<string, string | string[]> = {};
  if (p.type === 'User' || p.type === 'AssumedRole' || p.type === 'Account') {
    if (p.type === 'User') out['aws:username'] = p.userName!;
    out['aws:PrincipalArn'] = p.principalArn!;
    out['aws:PrincipalAccount'] = p.account!;
    out['aws:userid'] = p.userId!;
    out['aws:PrincipalType'] = p.type;
    out['aws:PrincipalIsAWSService'] = 'false';
    for (const [k, v] of Object.entries(p.tags ?? {})) out[`aws:PrincipalTag/${k}`] = v;
  } else if (p.type === 'Service') {
    out['aws:PrincipalIsAWSService'] = 'true';
  } else if (p.type === 'Anonymous') {
    out['aws:PrincipalAccount'] = 'anonymous';
    out['aws:userid'] = 'anonymous';
    out['aws:PrincipalType'] = 'Anonymous';
  }
  out['aws:ResourceAccount'] = c.resourceAccount;
  for (const [k, v] of Object.entries(c.resourceTags ?? {})) {
    out[`aws:ResourceTag/${k}`] = v;
    out[`ecr:ResourceTag/${k}`] = v;
  }
  return out;
}

/** iam-simulate's input for a case. */
export function peerSimulation(c: GeneratedCase): Simulation {
  const p = c.principal;
  const identity = p.type === 'Account' ? [ROOT_IMPLICIT] : c.policies.identity;
  return {
    request: {
      principal: p.type === 'Anonymous' ? anonymousPrincipal : p.arn,
      action: c.action,
      resource: { resource: c.resource, accountId: c.resourceAccount },
      contextVariables: { ...derivedContext(c), ...c.context },
    },
    identityPolicies: identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
    serviceControlPolicies: (c.policies.scp ?? []).map((level, l) => ({
      orgIdentifier: `level-${l}`,
      policies: level.map((policy, i) => ({ name: `scp-${l}-${i}`, policy })),
    })),
    resourceControlPolicies: [],
    ...(c.policies.resource && { resourcePolicy: c.policies.resource }),
    ...(c.policies.boundary && {
      permissionBoundaryPolicies: [{ name: 'boundary', policy: c.policies.boundary }],
    }),
    ...(c.policies.session && { sessionPolicy: c.policies.session }),
  };
}

/** What iam-simulate answered: a decision in crossdock's terms, or the reason it refused the input. */
export type PeerOutcome = { decision: Decision } | { error: string };

function fromPeer(r: RunSimulationResults): PeerOutcome {
  if (r.resultType === 'error') return { error: JSON.stringify(r.errors) };
  if (r.resultType === 'single' && (r.result.ignoredContextKeys?.length ?? 0) > 0) {
    return { error: `ignored context keys ${JSON.stringify(r.result.ignoredContextKeys)}` };
  }
  switch (r.overallResult) {
    case 'Allowed':
      return { decision: 'Allow' };
    case 'ExplicitlyDenied':
      return { decision: 'ExplicitDeny' };
    default:
      return { decision: 'ImplicitDeny' };
  }
}

/** iam-simulate's decision for a case (its public, validating entry point). */
export async function peerDecision(c: GeneratedCase): Promise<PeerOutcome> {
  return fromPeer(await runSimulation(peerSimulation(c), {}));
}
