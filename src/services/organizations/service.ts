import type { Caller } from '../../auth/caller.js';
import { rootArn } from '../../auth/caller.js';
import { ADMINISTRATOR_ACCESS } from '../../iam/data/managedPolicies.js';
import type { MetadataTx } from '../../store/meta/MetadataStore.js';
import type { Account, CreateAccountRequest, Organization } from '../../store/meta/records.js';
import { AlreadyExists } from '../../store/meta/errors.js';
import type { ServiceDeps } from '../context.js';
import { ServiceError } from '../errors.js';
import { OrganizationTreeService } from './tree.js';

/** A root access key as crossdock hands it out (DESIGN.md: management-credentials.json, `accounts create`). */
export interface RootCredentials {
  readonly AccountId: string;
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
}

/** Input of CreateAccount, plus crossdock's extensions (a pinned id, a root key in the answer). */
export interface CreateAccountInput {
  readonly Email: string;
  readonly AccountName: string;
  readonly RoleName?: string;
  readonly Tags?: readonly { Key: string; Value: string }[];
  /** crossdock extension: the 12-digit id to give the account. */
  readonly AccountId?: string;
  /** crossdock extension: the IAM account alias. */
  readonly Alias?: string;
}

const ACCOUNT_ID = /^\d{12}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ALIAS = /^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$/;
const ACCESS_ROLE = 'OrganizationAccountAccessRole';

/** AWS's Organizations ARNs. */
export const orgArns = {
  organization: (o: Organization) => `arn:aws:organizations::${o.managementAccountId}:organization/${o.id}`,
  account: (o: Organization, accountId: string) =>
    `arn:aws:organizations::${o.managementAccountId}:account/${o.id}/${accountId}`,
};

/**
 * The slice of AWS Organizations crossdock needs: one organization whose management account is
 * created on first start, member accounts created with CreateAccount (each with the
 * OrganizationAccountAccessRole trusted by the management account, as AWS creates it), and the
 * read operations. `aws:PrincipalOrgID` reaches the engine through the account's organization.
 * The tree (OUs, account placement) and service control policies are in {@link tree}.
 */
export class OrganizationsService {
  /** Organizational units and service control policies (`tree.ts`). */
  readonly tree: OrganizationTreeService;

  constructor(private readonly deps: ServiceDeps) {
    this.tree = new OrganizationTreeService(deps);
  }

  /**
   * First start: creates the organization, its management account and that account's root access
   * key. Returns the key only when it was just created (it is never readable again).
   */
  async bootstrap(opts: { managementAccountId?: string } = {}): Promise<RootCredentials | undefined> {
    const { store, clock, ids } = this.deps;
    return store.transaction(async (tx) => {
      const existing = await tx.organizations.list({ maxItems: 1 });
      if (existing.items.length > 0) return undefined;
      const accountId = opts.managementAccountId ?? (await this.freshAccountId(tx));
      const now = new Date(clock.now());
      const org: Organization = {
        id: ids.org('o-', 10),
        rootId: ids.org('r-', 4),
        managementAccountId: accountId,
        featureSet: 'ALL',
        createdAt: now,
      };
      await tx.organizations.create(org);
      await tx.accounts.create({
        id: accountId,
        name: 'management',
        email: `management@${accountId}.crossdock.invalid`,
        status: 'ACTIVE',
        organizationId: org.id,
        joinedMethod: 'CREATED',
        joinedAt: now,
      });
      return this.createRootKey(tx, accountId);
    });
  }

  /** The organization, for callers in it; AWSOrganizationsNotInUseException otherwise. */
  async describeOrganization(caller: Caller): Promise<{ org: Organization; management: Account }> {
    const org = await this.callerOrganization(caller);
    await this.deps.authz.authorize({ caller, action: 'organizations:DescribeOrganization', resource: '*' });
    const management = await this.deps.store.accounts.get(org.managementAccountId);
    if (management === undefined)
      throw new ServiceError('ServiceException', 'the management account is missing');
    return { org, management };
  }

  /** CreateAccount: management account only; synchronous, so the status is SUCCEEDED at once. */
  async createAccount(
    caller: Caller,
    input: CreateAccountInput,
  ): Promise<{ status: CreateAccountRequest; root?: RootCredentials }> {
    const org = await this.managementOrganization(caller);
    await this.deps.authz.authorize({
      caller,
      action: 'organizations:CreateAccount',
      resource: '*',
      context: tagContext(input.Tags),
    });
    validateCreateAccount(input);
    const { clock, ids } = this.deps;
    return this.deps.store.transaction(async (tx) => {
      let accountId = input.AccountId;
      if (accountId !== undefined && (await tx.accounts.get(accountId)) !== undefined) {
        throw new ServiceError('DuplicateAccountException', `account ${accountId} already exists`);
      }
      if (input.Alias !== undefined && (await tx.accounts.getByAlias(input.Alias)) !== undefined) {
        throw new ServiceError(
          'DuplicateAccountException',
          `an account with alias \`${input.Alias}\` already exists`,
        );
      }
      accountId ??= await this.freshAccountId(tx);
      const now = new Date(clock.now());
      try {
        await tx.accounts.create({
          id: accountId,
          name: input.AccountName,
          email: input.Email,
          ...(input.Alias !== undefined && { alias: input.Alias }),
          status: 'ACTIVE',
          organizationId: org.id,
          joinedMethod: 'CREATED',
          joinedAt: now,
        });
      } catch (e) {
        if (e instanceof AlreadyExists)
          throw new ServiceError('DuplicateAccountException', 'That account already exists.');
        throw e;
      }
      await this.createAccessRole(tx, accountId, org.managementAccountId, input.RoleName ?? ACCESS_ROLE, now);
      await this.tree.onAccountJoined(tx, org, accountId);
      const status = await tx.createAccountRequests.create({
        id: ids.org('car-', 32),
        organizationId: org.id,
        accountName: input.AccountName,
        email: input.Email,
        state: 'SUCCEEDED',
        requestedAt: now,
        completedAt: now,
        accountId,
      });
      const root =
        input.Alias !== undefined || input.AccountId !== undefined
          ? await this.createRootKey(tx, accountId)
          : undefined;
      return root === undefined ? { status } : { status, root };
    });
  }

  /** DescribeCreateAccountStatus. */
  async describeCreateAccountStatus(caller: Caller, requestId: string): Promise<CreateAccountRequest> {
    const org = await this.managementOrganization(caller);
    await this.deps.authz.authorize({
      caller,
      action: 'organizations:DescribeCreateAccountStatus',
      resource: '*',
    });
    const r = await this.deps.store.createAccountRequests.get(requestId);
    if (r === undefined || r.organizationId !== org.id) {
      throw new ServiceError(
        'CreateAccountStatusNotFoundException',
        "We can't find an create account request with the CreateAccountRequestId that you specified.",
      );
    }
    return r;
  }

  /** ListAccounts, paginated with NextToken/MaxResults (1–20). */
  async listAccounts(
    caller: Caller,
    page: { NextToken?: string; MaxResults?: number },
  ): Promise<{ org: Organization; accounts: readonly Account[]; nextToken?: string }> {
    const org = await this.managementOrganization(caller);
    await this.deps.authz.authorize({ caller, action: 'organizations:ListAccounts', resource: '*' });
    const max = page.MaxResults ?? 20;
    if (!Number.isInteger(max) || max < 1 || max > 20) {
      throw new ServiceError(
        'InvalidInputException',
        'You provided a value that does not match the required pattern.',
        {
          Reason: 'INVALID_INPUT',
        },
      );
    }
    const res = await this.deps.store.accounts.list({
      organizationId: org.id,
      maxItems: max,
      ...(page.NextToken !== undefined && { marker: page.NextToken }),
    });
    return { org, accounts: res.items, ...(res.marker !== undefined && { nextToken: res.marker }) };
  }

  /** DescribeAccount: the management account may describe any member. */
  async describeAccount(caller: Caller, accountId: string): Promise<{ org: Organization; account: Account }> {
    const org = await this.managementOrganization(caller);
    await this.deps.authz.authorize({
      caller,
      action: 'organizations:DescribeAccount',
      resource: orgArns.account(org, accountId),
    });
    const account = await this.deps.store.accounts.get(accountId);
    if (account === undefined || account.organizationId !== org.id) {
      throw new ServiceError('AccountNotFoundException', "You specified an account that doesn't exist.");
    }
    return { org, account };
  }

  private async callerOrganization(caller: Caller): Promise<Organization> {
    const id = caller.account.organizationId;
    const org = id === undefined ? undefined : await this.deps.store.organizations.get(id);
    if (org === undefined) {
      throw new ServiceError(
        'AWSOrganizationsNotInUseException',
        'Your account is not a member of an organization.',
      );
    }
    return org;
  }

  /** Operations that only the management account may call answer AccessDeniedException elsewhere. */
  private async managementOrganization(caller: Caller): Promise<Organization> {
    const org = await this.callerOrganization(caller);
    if (org.managementAccountId !== caller.account.id) {
      throw new ServiceError('AccessDeniedException', "You don't have permissions to access this resource.");
    }
    return org;
  }

  private async freshAccountId(tx: MetadataTx): Promise<string> {
    for (;;) {
      const id = this.deps.ids.accountId();
      if ((await tx.accounts.get(id)) === undefined) return id;
    }
  }

  private async createRootKey(tx: MetadataTx, accountId: string): Promise<RootCredentials> {
    const { ids, box, clock } = this.deps;
    const id = ids.iam('AKIA');
    const secret = ids.secretAccessKey();
    await tx.accessKeys.create({
      id,
      accountId,
      status: 'Active',
      secret: box.seal(secret, id),
      createdAt: new Date(clock.now()),
    });
    return { AccountId: accountId, AccessKeyId: id, SecretAccessKey: secret };
  }

  /** The role AWS creates in a new member account: trusted by the management account, with AdministratorAccess. */
  private async createAccessRole(
    tx: MetadataTx,
    accountId: string,
    managementAccountId: string,
    name: string,
    now: Date,
  ): Promise<void> {
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: rootArn(managementAccountId) }, Action: 'sts:AssumeRole' },
      ],
    });
    await tx.roles.create({
      accountId,
      name,
      path: '/',
      id: this.deps.ids.iam('AROA'),
      createdAt: now,
      assumeRolePolicyDocument: trust,
      maxSessionDuration: 3600,
      tags: [],
    });
    await tx.attachments.attach({ kind: 'role', accountId, name }, ADMINISTRATOR_ACCESS.arn);
  }
}

function tagContext(tags: CreateAccountInput['Tags']): Record<string, string | string[]> {
  if (tags === undefined || tags.length === 0) return {};
  const ctx: Record<string, string | string[]> = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const t of tags) ctx[`aws:RequestTag/${t.Key}`] = t.Value;
  return ctx;
}

function validateCreateAccount(input: CreateAccountInput): void {
  const bad = (msg: string): never => {
    throw new ServiceError('ConstraintViolationException', msg, { Reason: 'INVALID_INPUT' });
  };
  if (input.Email.length < 6 || input.Email.length > 64 || !EMAIL.test(input.Email)) {
    throw new ServiceError(
      'InvalidInputException',
      'You provided a value that does not match the required pattern.',
      {
        Reason: 'INVALID_EMAIL_ADDRESS_TARGET',
      },
    );
  }
  if (input.AccountName.length < 1 || input.AccountName.length > 50)
    bad('account names are 1 to 50 characters');
  if (input.AccountId !== undefined && !ACCOUNT_ID.test(input.AccountId)) {
    bad(`account id \`${input.AccountId}\` is not 12 digits`);
  }
  if (
    input.Alias !== undefined &&
    (input.Alias.length < 3 || input.Alias.length > 63 || !ALIAS.test(input.Alias))
  ) {
    bad(`alias \`${input.Alias}\` must be 3 to 63 lowercase letters, digits and single hyphens`);
  }
}
