/**
 * Organizational units, account placement and Organizations policies over SQL (tables of
 * `0003_groups_scp`, described in `migrations.ts`). An account without a row in
 * `org_account_parents` sits under its organization's root.
 */
import type { Selectable } from 'kysely';
import { canonOrganizationalUnit, canonOrgPolicy } from '../canonical.js';
import { AlreadyExists, Conflict, NotFound } from '../errors.js';
import { nameKey } from '../keys.js';
import type { OrganizationalUnitOps, OrgPolicyOps, OrgPolicyPatch } from '../MetadataStore.js';
import { pageFromRows, pageSize, type ListOptions, type Page } from '../pagination.js';
import type { OrganizationalUnit, OrgPolicy, OrgPolicyType } from '../records.js';
import { afterKey, exists, type Ctx, type Db } from './context.js';
import type { OrgPoliciesTable, OrgUnitsTable } from './schema.js';

function toOu(r: Selectable<OrgUnitsTable>): OrganizationalUnit {
  return canonOrganizationalUnit({
    id: r.id,
    organizationId: r.organization_id,
    parentId: r.parent_id,
    name: r.name,
  });
}

function toPolicy(r: Selectable<OrgPoliciesTable>): OrgPolicy {
  return canonOrgPolicy({
    id: r.id,
    organizationId: r.organization_id,
    type: r.type as OrgPolicyType,
    name: r.name,
    description: r.description,
    content: r.content,
  });
}

/** `NotFound` unless `parentId` is the root of the organization or one of its OUs. */
async function mustParent(db: Db, organizationId: string, parentId: string): Promise<void> {
  const org = await db
    .selectFrom('organizations')
    .select('root_id')
    .where('id', '=', organizationId)
    .executeTakeFirst();
  if (org === undefined) throw new NotFound('organization', organizationId);
  if (org.root_id === parentId) return;
  const ou = await db
    .selectFrom('org_units')
    .select('id')
    .where('id', '=', parentId)
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  if (ou === undefined) throw new NotFound('organizationalUnit', parentId);
}

async function siblingNamed(db: Db, parentId: string, name: string, except?: string): Promise<boolean> {
  let q = db
    .selectFrom('org_units')
    .select('id')
    .where('parent_id', '=', parentId)
    .where('name_key', '=', nameKey(name));
  if (except !== undefined) q = q.where('id', '!=', except);
  return exists(q);
}

/** Organizational units and account placement. */
export class SqlOrganizationalUnits implements OrganizationalUnitOps {
  constructor(private readonly c: Ctx) {}

  async create(ou: OrganizationalUnit): Promise<OrganizationalUnit> {
    await this.c.atomic(async (db) => {
      await mustParent(db, ou.organizationId, ou.parentId);
      if (await exists(db.selectFrom('org_units').select('id').where('id', '=', ou.id))) {
        throw new AlreadyExists('organizationalUnit', ou.id, 'id');
      }
      const key = `${ou.parentId}/${ou.name}`;
      if (await siblingNamed(db, ou.parentId, ou.name))
        throw new AlreadyExists('organizationalUnit', key, 'name');
      await this.c.insert('organizationalUnit', key, 'name', () =>
        db
          .insertInto('org_units')
          .values({
            id: ou.id,
            organization_id: ou.organizationId,
            parent_id: ou.parentId,
            name: ou.name,
            name_key: nameKey(ou.name),
          })
          .execute(),
      );
    });
    return canonOrganizationalUnit(ou);
  }

  async get(id: string): Promise<OrganizationalUnit | undefined> {
    const r = await this.c.db().selectFrom('org_units').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : toOu(r);
  }

  async list(parentId: string, opts?: ListOptions): Promise<Page<OrganizationalUnit>> {
    const after = afterKey(opts, 'organizationalUnit', 2);
    const size = pageSize(opts);
    let q = this.c.db().selectFrom('org_units').selectAll().where('parent_id', '=', parentId);
    if (after !== undefined) {
      const [k, id] = after as [string, string];
      q = q.where((eb) =>
        eb.or([eb('name_key', '>', k), eb.and([eb('name_key', '=', k), eb('id', '>', id)])]),
      );
    }
    const rows = await q
      .orderBy('name_key')
      .orderBy('id')
      .limit(size + 1)
      .execute();
    return pageFromRows(rows, size, (r) => [r.name_key, r.id], toOu);
  }

  async update(id: string, patch: { readonly name?: string }): Promise<OrganizationalUnit> {
    return this.c.atomic(async (db) => {
      const r = await db.selectFrom('org_units').selectAll().where('id', '=', id).executeTakeFirst();
      if (r === undefined) throw new NotFound('organizationalUnit', id);
      const name = patch.name;
      if (name !== undefined) {
        const key = `${r.parent_id}/${name}`;
        if (await siblingNamed(db, r.parent_id, name, id))
          throw new AlreadyExists('organizationalUnit', key, 'name');
        await this.c.insert('organizationalUnit', key, 'name', () =>
          db
            .updateTable('org_units')
            .set({ name, name_key: nameKey(name) })
            .where('id', '=', id)
            .execute(),
        );
      }
      return toOu(
        await db.selectFrom('org_units').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
      );
    });
  }

  async delete(id: string): Promise<void> {
    await this.c.atomic(async (db) => {
      if (!(await exists(db.selectFrom('org_units').select('id').where('id', '=', id)))) {
        throw new NotFound('organizationalUnit', id);
      }
      const hasOus = await exists(db.selectFrom('org_units').select('id').where('parent_id', '=', id));
      const hasAccounts = await exists(
        db.selectFrom('org_account_parents').select('account_id').where('parent_id', '=', id),
      );
      if (hasOus || hasAccounts) throw new Conflict('organizationalUnit', id, 'HasChildren');
      await db.deleteFrom('org_policy_attachments').where('target_id', '=', id).execute();
      await db.deleteFrom('org_units').where('id', '=', id).execute();
    });
  }

  async parentOf(accountId: string): Promise<string> {
    const r = await this.c
      .db()
      .selectFrom('accounts as a')
      .leftJoin('org_account_parents as p', 'p.account_id', 'a.id')
      .leftJoin('organizations as o', 'o.id', 'a.organization_id')
      .select(['p.parent_id', 'o.root_id'])
      .where('a.id', '=', accountId)
      .executeTakeFirst();
    if (r === undefined) throw new NotFound('account', accountId);
    return r.parent_id ?? r.root_id ?? '';
  }

  async moveAccount(accountId: string, parentId: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const a = await db
        .selectFrom('accounts')
        .select('organization_id')
        .where('id', '=', accountId)
        .executeTakeFirst();
      if (a?.organization_id === null || a?.organization_id === undefined) {
        throw new NotFound('account', accountId);
      }
      await mustParent(db, a.organization_id, parentId);
      await db.deleteFrom('org_account_parents').where('account_id', '=', accountId).execute();
      await db
        .insertInto('org_account_parents')
        .values({ account_id: accountId, parent_id: parentId })
        .execute();
    });
  }

  async listAccounts(organizationId: string, parentId: string, opts?: ListOptions): Promise<Page<string>> {
    const after = afterKey(opts, 'account');
    const size = pageSize(opts);
    let q = this.c
      .db()
      .selectFrom('accounts as a')
      .leftJoin('org_account_parents as p', 'p.account_id', 'a.id')
      .innerJoin('organizations as o', 'o.id', 'a.organization_id')
      .select('a.id')
      .where('a.organization_id', '=', organizationId)
      .where((eb) =>
        eb.or([
          eb('p.parent_id', '=', parentId),
          eb.and([eb('p.parent_id', 'is', null), eb('o.root_id', '=', parentId)]),
        ]),
      );
    if (after !== undefined) q = q.where('a.id', '>', after[0] as string);
    const rows = await q
      .orderBy('a.id')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.id],
      (r) => r.id,
    );
  }
}

/** Organizations policies, their attachments and the policy types enabled per root. */
export class SqlOrgPolicies implements OrgPolicyOps {
  constructor(private readonly c: Ctx) {}

  private static async clash(db: Db, organizationId: string, name: string, except: string): Promise<void> {
    const taken = await exists(
      db
        .selectFrom('org_policies')
        .select('id')
        .where('organization_id', '=', organizationId)
        .where('name_key', '=', nameKey(name))
        .where('id', '!=', except),
    );
    if (taken) throw new AlreadyExists('orgPolicy', `${organizationId}/${name}`, 'name');
  }

  async create(p: OrgPolicy): Promise<OrgPolicy> {
    await this.c.atomic(async (db) => {
      if (await exists(db.selectFrom('org_policies').select('id').where('id', '=', p.id))) {
        throw new AlreadyExists('orgPolicy', p.id, 'id');
      }
      await SqlOrgPolicies.clash(db, p.organizationId, p.name, p.id);
      await this.c.insert('orgPolicy', `${p.organizationId}/${p.name}`, 'name', () =>
        db
          .insertInto('org_policies')
          .values({
            id: p.id,
            organization_id: p.organizationId,
            type: p.type,
            name: p.name,
            name_key: nameKey(p.name),
            description: p.description,
            content: p.content,
          })
          .execute(),
      );
    });
    return canonOrgPolicy(p);
  }

  async get(id: string): Promise<OrgPolicy | undefined> {
    const r = await this.c
      .db()
      .selectFrom('org_policies')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r === undefined ? undefined : toPolicy(r);
  }

  async list(
    organizationId: string,
    opts?: ListOptions & { readonly type?: OrgPolicyType },
  ): Promise<Page<OrgPolicy>> {
    const after = afterKey(opts, 'orgPolicy', 2);
    const size = pageSize(opts);
    let q = this.c.db().selectFrom('org_policies').selectAll().where('organization_id', '=', organizationId);
    if (opts?.type !== undefined) q = q.where('type', '=', opts.type);
    if (after !== undefined) {
      const [k, id] = after as [string, string];
      q = q.where((eb) =>
        eb.or([eb('name_key', '>', k), eb.and([eb('name_key', '=', k), eb('id', '>', id)])]),
      );
    }
    const rows = await q
      .orderBy('name_key')
      .orderBy('id')
      .limit(size + 1)
      .execute();
    return pageFromRows(rows, size, (r) => [r.name_key, r.id], toPolicy);
  }

  async update(id: string, patch: OrgPolicyPatch): Promise<OrgPolicy> {
    return this.c.atomic(async (db) => {
      const r = await db.selectFrom('org_policies').selectAll().where('id', '=', id).executeTakeFirst();
      if (r === undefined) throw new NotFound('orgPolicy', id);
      const values: Partial<OrgPoliciesTable> = {};
      if (patch.name !== undefined) {
        await SqlOrgPolicies.clash(db, r.organization_id, patch.name, id);
        Object.assign(values, { name: patch.name, name_key: nameKey(patch.name) });
      }
      if (patch.description !== undefined) values.description = patch.description;
      if (patch.content !== undefined) values.content = patch.content;
      if (Object.keys(values).length > 0) {
        await this.c.insert('orgPolicy', `${r.organization_id}/${patch.name ?? r.name}`, 'name', () =>
          db.updateTable('org_policies').set(values).where('id', '=', id).execute(),
        );
      }
      return toPolicy(
        await db.selectFrom('org_policies').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
      );
    });
  }

  async delete(id: string): Promise<void> {
    await this.c.atomic(async (db) => {
      if (!(await exists(db.selectFrom('org_policies').select('id').where('id', '=', id)))) {
        throw new NotFound('orgPolicy', id);
      }
      if (
        await exists(db.selectFrom('org_policy_attachments').select('policy_id').where('policy_id', '=', id))
      ) {
        throw new Conflict('orgPolicy', id, 'HasAttachments');
      }
      await db.deleteFrom('org_policies').where('id', '=', id).execute();
    });
  }

  async attach(policyId: string, targetId: string): Promise<void> {
    await this.c.atomic(async (db) => {
      const present = await exists(
        db
          .selectFrom('org_policy_attachments')
          .select('policy_id')
          .where('policy_id', '=', policyId)
          .where('target_id', '=', targetId),
      );
      const key = `${policyId}/${targetId}`;
      if (present) throw new AlreadyExists('orgPolicyAttachment', key, 'member');
      await this.c.insert('orgPolicyAttachment', key, 'member', () =>
        db
          .insertInto('org_policy_attachments')
          .values({ policy_id: policyId, target_id: targetId })
          .execute(),
      );
    });
  }

  async detach(policyId: string, targetId: string): Promise<void> {
    const res = await this.c
      .db()
      .deleteFrom('org_policy_attachments')
      .where('policy_id', '=', policyId)
      .where('target_id', '=', targetId)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0)
      throw new NotFound('orgPolicyAttachment', `${policyId}/${targetId}`);
  }

  async listForTarget(targetId: string, opts?: ListOptions): Promise<Page<string>> {
    const after = afterKey(opts, 'orgPolicyAttachment');
    const size = pageSize(opts);
    let q = this.c
      .db()
      .selectFrom('org_policy_attachments')
      .select('policy_id')
      .where('target_id', '=', targetId);
    if (after !== undefined) q = q.where('policy_id', '>', after[0] as string);
    const rows = await q
      .orderBy('policy_id')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.policy_id],
      (r) => r.policy_id,
    );
  }

  async listTargets(policyId: string, opts?: ListOptions): Promise<Page<string>> {
    const after = afterKey(opts, 'orgPolicyAttachment');
    const size = pageSize(opts);
    let q = this.c
      .db()
      .selectFrom('org_policy_attachments')
      .select('target_id')
      .where('policy_id', '=', policyId);
    if (after !== undefined) q = q.where('target_id', '>', after[0] as string);
    const rows = await q
      .orderBy('target_id')
      .limit(size + 1)
      .execute();
    return pageFromRows(
      rows,
      size,
      (r) => [r.target_id],
      (r) => r.target_id,
    );
  }

  async enabledTypes(rootId: string): Promise<OrgPolicyType[]> {
    const rows = await this.c
      .db()
      .selectFrom('org_policy_types')
      .select('type')
      .where('root_id', '=', rootId)
      .orderBy('type')
      .execute();
    return rows.map((r) => r.type as OrgPolicyType);
  }

  async setTypeEnabled(rootId: string, type: OrgPolicyType, enabled: boolean): Promise<void> {
    await this.c.atomic(async (db) => {
      await db
        .deleteFrom('org_policy_types')
        .where('root_id', '=', rootId)
        .where('type', '=', type)
        .execute();
      if (enabled) await db.insertInto('org_policy_types').values({ root_id: rootId, type }).execute();
    });
  }
}
