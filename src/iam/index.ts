/**
 * The IAM policy engine: parse and validate policy documents, compile them once, evaluate a
 * request context against every policy type, and explain the decision in AWS's words. Pure: no
 * I/O, no clock, no stored state beyond caches the caller owns.
 */
export { parsePolicy, policySize, type ParseOptions } from './policy/parse.js';
export { printPolicy } from './policy/print.js';
export type {
  Effect,
  PolicyDocument,
  PolicyKind,
  PolicyVersion,
  PrincipalBlock,
  Statement,
  ConditionClause,
} from './policy/types.js';
export { PolicyError, type PolicyErrorCode } from './errors.js';
export {
  compilePolicy,
  compileDocument,
  policyHash,
  PolicyCache,
  type CompiledPolicy,
  type CompiledStatement,
} from './compile.js';
export {
  evaluate,
  denialMessage,
  POLICY_TYPE_NAMES,
  type AuthzRequest,
  type AuthzResult,
  type Decision,
  type EvaluateOptions,
  type MatchedStatement,
  type NearMiss,
  type PolicyRef,
  type PolicySet,
  type PolicyType,
  type SideVerdict,
} from './evaluate.js';
export type { PrincipalMatch, PrincipalType, RequestPrincipal } from './principal.js';
export { lookupFromRecord, type ContextValue, type KeyLookup } from './context.js';
export { explainText } from './explain.js';
