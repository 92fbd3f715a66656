// Model check: random command sequences run against the memory driver (the model) and the SQLite
// driver must give the same answers: equal records and pages (markers included), and the same
// typed errors. Names come from small case-varied pools so that collisions, renames, conflicts
// and not-found cases are frequent.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { StoreError } from './errors.js';
import { MemoryMetadataStore } from './memory/MemoryMetadataStore.js';
import type { MetadataStore, MetadataTx } from './MetadataStore.js';
import type { Page } from './pagination.js';
import type { NewImage, PrincipalKind, PrincipalRef, RepositoryRef, Tag } from './records.js';
import { SecretBox } from './secrets.js';
import { openSqliteMetadataStore } from './sqlite/SqliteMetadataStore.js';

interface Stores {
  readonly store: MetadataStore;
}

type Op = (s: MetadataTx) => Promise<unknown>;

class Abort extends Error {}

/** What a call produced, in a form both drivers must agree on. */
async function outcome(op: Op, s: MetadataTx): Promise<unknown> {
  try {
    return { ok: await op(s) };
  } catch (e) {
    if (e instanceof StoreError) {
      return { err: { ...e, message: e.message } };
    }
    if (e instanceof Abort) return { aborted: true };
    throw e;
  }
}

class StoreCommand implements fc.AsyncCommand<Stores, Stores> {
  constructor(
    private readonly label: string,
    readonly op: Op,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Stores, real: Stores): Promise<void> {
    const expected = await outcome(this.op, model.store);
    const actual = await outcome(this.op, real.store);
    assert.deepEqual(actual, expected, this.label);
  }
  toString(): string {
    return this.label;
  }
}

const box = SecretBox.fromKey(Buffer.alloc(32, 3));
const T0 = Date.UTC(2026, 0, 1);
const accountId = fc.oneof(
  { weight: 4, arbitrary: fc.constant('111111111111') },
  { weight: 1, arbitrary: fc.constant('222222222222') },
);
const userName = fc.constantFrom('alice', 'Alice', 'bob', 'Zed', 'Ñandú', 'ñANDÚ');
const roleName = fc.constantFrom('r1', 'R1', 'deployer', 'Deployer', 'Ärger', 'Zorro');
const policyName = fc.constantFrom('P', 'p', 'Q');
const profileName = fc.constantFrom('Web', 'web', 'Api');
const inlineName = fc.constantFrom('pull', 'PULL', 'push');
const path = fc.constantFrom('/', '/a/', '/a/b/', '/b/');
const prefix = fc.option(fc.constantFrom('/', '/a/', '/a/b', '/b/', '/c/'), { nil: undefined });
const maxItems = fc.integer({ min: 1, max: 4 });
const date = fc.integer({ min: 0, max: 120 }).map((m) => new Date(T0 + m * 60_000));
const text = fc.string({ unit: 'grapheme', maxLength: 6 });
const tags: fc.Arbitrary<Tag[]> = fc.array(
  fc.record({ key: fc.constantFrom('k', 'K', 'ü', '🐳'), value: text }),
  {
    maxLength: 3,
  },
);
const boundary = fc.option(fc.constantFrom('arn:aws:iam::111111111111:policy/B', null), { nil: undefined });
const kind: fc.Arbitrary<PrincipalKind> = fc.constantFrom('user', 'role');
const principal: fc.Arbitrary<PrincipalRef> = fc
  .record({ kind, accountId, u: userName, r: roleName })
  .map(({ kind: k, accountId: a, u, r }) => ({ kind: k, accountId: a, name: k === 'user' ? u : r }));
const policyArn = fc.constantFrom(
  'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
  'arn:aws:iam::111111111111:policy/P',
  'arn:aws:iam::111111111111:policy/a/Q',
);
const versionId = fc.constantFrom('v1', 'v2', 'v3', 'v6', 'bogus');

/** Drains a list page by page, returning every page (markers included). */
async function pages<T>(fetch: (marker?: string) => Promise<Page<T>>): Promise<Page<T>[]> {
  const out: Page<T>[] = [];
  let marker: string | undefined;
  do {
    const page = await fetch(marker);
    out.push(page);
    marker = page.marker;
  } while (marker !== undefined && out.length < 50);
  return out;
}

const cmd = (label: string, op: Op) => new StoreCommand(label, op);

/** One IAM-side store call, as an arbitrary of `[label, op]`. */
const iamCall: fc.Arbitrary<[string, Op]> = fc.oneof(
  fc
    .record({
      accountId,
      name: userName,
      id: fc.constantFrom('AIDA1', 'AIDA2', 'AIDA3', 'AIDA4'),
      path,
      tags,
      boundary,
    })
    .map((u): [string, Op] => [
      `users.create ${u.accountId}/${u.name} ${u.id}`,
      (s) =>
        s.users.create({
          accountId: u.accountId,
          name: u.name,
          id: u.id,
          path: u.path,
          tags: u.tags,
          createdAt: new Date(T0),
          ...(u.boundary ? { permissionsBoundaryArn: u.boundary } : {}),
        }),
    ]),
  fc
    .record({
      accountId,
      name: userName,
      to: fc.option(userName, { nil: undefined }),
      path: fc.option(path, { nil: undefined }),
      boundary,
      tags: fc.option(tags, { nil: undefined }),
    })
    .map((u): [string, Op] => [
      `users.update ${u.accountId}/${u.name} → ${u.to}`,
      (s) =>
        s.users.update(u.accountId, u.name, {
          name: u.to,
          path: u.path,
          permissionsBoundaryArn: u.boundary,
          tags: u.tags,
        }),
    ]),
  fc
    .record({ accountId, name: userName })
    .map((u): [string, Op] => [
      `users.delete ${u.accountId}/${u.name}`,
      (s) => s.users.delete(u.accountId, u.name),
    ]),
  fc
    .record({ accountId, name: userName })
    .map((u): [string, Op] => [
      `users.get ${u.accountId}/${u.name}`,
      (s) => s.users.get(u.accountId, u.name),
    ]),
  fc
    .constantFrom('AIDA1', 'AIDA3')
    .map((id): [string, Op] => [`users.getById ${id}`, (s) => s.users.getById(id)]),
  fc
    .record({ accountId, prefix, maxItems })
    .map((o): [string, Op] => [
      `users.list ${o.accountId} ${o.prefix} ${o.maxItems}`,
      (s) =>
        pages((m) => s.users.list(o.accountId, { pathPrefix: o.prefix, maxItems: o.maxItems, marker: m })),
    ]),
  fc
    .record({
      accountId,
      name: roleName,
      id: fc.constantFrom('AROA1', 'AROA2', 'AROA3'),
      path,
      tags,
      description: fc.option(text, { nil: undefined }),
      max: fc.constantFrom(3600, 43200),
    })
    .map((r): [string, Op] => [
      `roles.create ${r.accountId}/${r.name} ${r.id}`,
      (s) =>
        s.roles.create({
          accountId: r.accountId,
          name: r.name,
          id: r.id,
          path: r.path,
          tags: r.tags,
          createdAt: new Date(T0),
          assumeRolePolicyDocument: '{}',
          maxSessionDuration: r.max,
          ...(r.description === undefined ? {} : { description: r.description }),
        }),
    ]),
  fc
    .record({
      accountId,
      name: roleName,
      description: fc.option(fc.option(text, { nil: null }), { nil: undefined }),
      lastUsed: fc.option(
        fc.option(
          date.map((at) => ({ at, region: 'us-east-1' })),
          { nil: null },
        ),
        { nil: undefined },
      ),
      trust: fc.option(text, { nil: undefined }),
      boundary,
    })
    .map((r): [string, Op] => [
      `roles.update ${r.accountId}/${r.name}`,
      (s) =>
        s.roles.update(r.accountId, r.name, {
          description: r.description,
          lastUsed: r.lastUsed,
          assumeRolePolicyDocument: r.trust,
          permissionsBoundaryArn: r.boundary,
        }),
    ]),
  fc
    .record({ accountId, name: roleName })
    .map((r): [string, Op] => [
      `roles.delete ${r.accountId}/${r.name}`,
      (s) => s.roles.delete(r.accountId, r.name),
    ]),
  fc
    .record({ accountId, prefix, maxItems })
    .map((o): [string, Op] => [
      `roles.list ${o.accountId} ${o.prefix} ${o.maxItems}`,
      (s) =>
        pages((m) => s.roles.list(o.accountId, { pathPrefix: o.prefix, maxItems: o.maxItems, marker: m })),
    ]),
  fc
    .record({
      accountId,
      id: fc.constantFrom('AKIA1', 'AKIA2', 'AKIA3'),
      user: fc.option(userName, { nil: undefined }),
    })
    .map((k): [string, Op] => {
      const secret = box.seal(`secret ${k.id}`, k.id);
      return [
        `accessKeys.create ${k.id} ${k.accountId}/${k.user ?? 'root'}`,
        (s) =>
          s.accessKeys.create({
            id: k.id,
            accountId: k.accountId,
            status: 'Active',
            secret,
            createdAt: new Date(T0),
            ...(k.user === undefined ? {} : { userName: k.user }),
          }),
      ];
    }),
  fc
    .record({
      id: fc.constantFrom('AKIA1', 'AKIA2'),
      status: fc.constantFrom('Active' as const, 'Inactive' as const),
      at: date,
    })
    .map((k): [string, Op] => [
      `accessKeys.update ${k.id} ${k.status}`,
      (s) =>
        s.accessKeys.update(k.id, {
          status: k.status,
          lastUsed: { at: k.at, service: 'ecr', region: 'eu-west-1' },
        }),
    ]),
  fc
    .constantFrom('AKIA1', 'AKIA3')
    .map((id): [string, Op] => [`accessKeys.delete ${id}`, (s) => s.accessKeys.delete(id)]),
  fc
    .constantFrom('AKIA1', 'AKIA2')
    .map((id): [string, Op] => [`accessKeys.get ${id}`, (s) => s.accessKeys.get(id)]),
  fc
    .record({ accountId, user: fc.option(userName, { nil: undefined }), maxItems })
    .map((o): [string, Op] => [
      `accessKeys.list ${o.accountId}/${o.user ?? 'root'}`,
      (s) =>
        pages((m) =>
          s.accessKeys.list(
            { accountId: o.accountId, userName: o.user },
            { maxItems: o.maxItems, marker: m },
          ),
        ),
    ]),
  fc
    .record({ owner: principal, name: inlineName, document: text })
    .map((p): [string, Op] => [
      `inlinePolicies.put ${p.owner.kind}:${p.owner.name} ${p.name}`,
      (s) => s.inlinePolicies.put(p.owner, { name: p.name, document: p.document }),
    ]),
  fc
    .record({ owner: principal, name: inlineName })
    .map((p): [string, Op] => [
      `inlinePolicies.delete ${p.owner.kind}:${p.owner.name} ${p.name}`,
      (s) => s.inlinePolicies.delete(p.owner, p.name),
    ]),
  fc
    .record({ owner: principal, name: inlineName })
    .map((p): [string, Op] => [
      `inlinePolicies.get ${p.owner.kind}:${p.owner.name} ${p.name}`,
      (s) => s.inlinePolicies.get(p.owner, p.name),
    ]),
  fc
    .record({ owner: principal, maxItems })
    .map((p): [string, Op] => [
      `inlinePolicies.list ${p.owner.kind}:${p.owner.name}`,
      (s) => pages((m) => s.inlinePolicies.list(p.owner, { maxItems: p.maxItems, marker: m })),
    ]),
  fc
    .record({ accountId, name: policyName, path, id: fc.constantFrom('ANPA1', 'ANPA2', 'ANPA3'), at: date })
    .map((p): [string, Op] => [
      `managedPolicies.create ${p.accountId}${p.path}${p.name} ${p.id}`,
      (s) =>
        s.managedPolicies.create({
          accountId: p.accountId,
          name: p.name,
          path: p.path,
          id: p.id,
          arn: `arn:aws:iam::${p.accountId}:policy${p.path}${p.name}`,
          createdAt: p.at,
          tags: [],
          document: `{"${p.name}":1}`,
        }),
    ]),
  fc.record({ accountId, name: policyName, setAsDefault: fc.boolean(), at: date }).map((p): [string, Op] => [
    `managedPolicies.createVersion ${p.accountId}/${p.name} default=${p.setAsDefault}`,
    (s) =>
      s.managedPolicies.createVersion(p.accountId, p.name, {
        document: '{}',
        createdAt: p.at,
        setAsDefault: p.setAsDefault,
      }),
  ]),
  fc
    .record({ accountId, name: policyName, v: versionId, at: date })
    .map((p): [string, Op] => [
      `managedPolicies.setDefaultVersion ${p.accountId}/${p.name} ${p.v}`,
      (s) => s.managedPolicies.setDefaultVersion(p.accountId, p.name, p.v, p.at),
    ]),
  fc
    .record({ accountId, name: policyName, v: versionId })
    .map((p): [string, Op] => [
      `managedPolicies.deleteVersion ${p.accountId}/${p.name} ${p.v}`,
      (s) => s.managedPolicies.deleteVersion(p.accountId, p.name, p.v),
    ]),
  fc
    .record({ accountId, name: policyName, v: versionId })
    .map((p): [string, Op] => [
      `managedPolicies.getVersion/listVersions ${p.accountId}/${p.name} ${p.v}`,
      async (s) => [
        await s.managedPolicies.getVersion(p.accountId, p.name, p.v),
        await s.managedPolicies.listVersions(p.accountId, p.name),
      ],
    ]),
  fc
    .record({ accountId, name: policyName })
    .map((p): [string, Op] => [
      `managedPolicies.delete ${p.accountId}/${p.name}`,
      (s) => s.managedPolicies.delete(p.accountId, p.name),
    ]),
  fc.record({ accountId, prefix, maxItems, onlyAttached: fc.boolean() }).map((o): [string, Op] => [
    `managedPolicies.list ${o.accountId} ${o.prefix} attached=${o.onlyAttached}`,
    (s) =>
      pages((m) =>
        s.managedPolicies.list(o.accountId, {
          pathPrefix: o.prefix,
          maxItems: o.maxItems,
          onlyAttached: o.onlyAttached,
          marker: m,
        }),
      ),
  ]),
  policyArn.map((arn): [string, Op] => [
    `managedPolicies.getByArn ${arn}`,
    (s) => s.managedPolicies.getByArn(arn),
  ]),
  fc
    .record({ who: principal, arn: policyArn })
    .map((a): [string, Op] => [
      `attachments.attach ${a.who.kind}:${a.who.name} ${a.arn}`,
      (s) => s.attachments.attach(a.who, a.arn),
    ]),
  fc
    .record({ who: principal, arn: policyArn })
    .map((a): [string, Op] => [
      `attachments.detach ${a.who.kind}:${a.who.name} ${a.arn}`,
      (s) => s.attachments.detach(a.who, a.arn),
    ]),
  fc
    .record({ who: principal, prefix, maxItems })
    .map((a): [string, Op] => [
      `attachments.listForPrincipal ${a.who.kind}:${a.who.name} ${a.prefix}`,
      (s) =>
        pages((m) =>
          s.attachments.listForPrincipal(a.who, { pathPrefix: a.prefix, maxItems: a.maxItems, marker: m }),
        ),
    ]),
  fc
    .record({ arn: policyArn, kind: fc.option(kind, { nil: undefined }), maxItems })
    .map((a): [string, Op] => [
      `attachments.listForPolicy ${a.arn} ${a.kind}`,
      (s) =>
        pages((m) => s.attachments.listForPolicy(a.arn, { kind: a.kind, maxItems: a.maxItems, marker: m })),
    ]),
  fc
    .record({ accountId, name: profileName, path, id: fc.constantFrom('AIPA1', 'AIPA2') })
    .map((p): [string, Op] => [
      `instanceProfiles.create ${p.accountId}/${p.name} ${p.id}`,
      (s) =>
        s.instanceProfiles.create({
          accountId: p.accountId,
          name: p.name,
          path: p.path,
          id: p.id,
          createdAt: new Date(T0),
          tags: [],
        }),
    ]),
  fc
    .record({ accountId, name: profileName, role: roleName, add: fc.boolean() })
    .map((p): [string, Op] => [
      `instanceProfiles.${p.add ? 'addRole' : 'removeRole'} ${p.accountId}/${p.name} ${p.role}`,
      (s) =>
        p.add
          ? s.instanceProfiles.addRole(p.accountId, p.name, p.role)
          : s.instanceProfiles.removeRole(p.accountId, p.name, p.role),
    ]),
  fc
    .record({ accountId, name: profileName })
    .map((p): [string, Op] => [
      `instanceProfiles.delete ${p.accountId}/${p.name}`,
      (s) => s.instanceProfiles.delete(p.accountId, p.name),
    ]),
  fc
    .record({ accountId, name: profileName, role: roleName, maxItems, prefix })
    .map((p): [string, Op] => [
      `instanceProfiles.get/list/listForRole ${p.accountId}/${p.name} ${p.role}`,
      async (s) => [
        await s.instanceProfiles.get(p.accountId, p.name),
        await pages((m) =>
          s.instanceProfiles.list(p.accountId, { maxItems: p.maxItems, pathPrefix: p.prefix, marker: m }),
        ),
        await pages((m) =>
          s.instanceProfiles.listForRole(p.accountId, p.role, { maxItems: p.maxItems, marker: m }),
        ),
      ],
    ]),
  fc
    .record({
      id: fc.constantFrom('111111111111', '222222222222', '333333333333'),
      email: fc.constantFrom('a@x', 'A@X', 'b@x'),
      alias: fc.option(fc.constantFrom('prod', 'PROD', 'dev'), { nil: undefined }),
    })
    .map((a): [string, Op] => [
      `accounts.create ${a.id} ${a.email} ${a.alias}`,
      (s) =>
        s.accounts.create({
          id: a.id,
          name: a.id,
          email: a.email,
          status: 'ACTIVE',
          joinedMethod: 'CREATED',
          joinedAt: new Date(T0),
          ...(a.alias === undefined ? {} : { alias: a.alias }),
        }),
    ]),
  fc
    .record({
      id: accountId,
      alias: fc.option(fc.constantFrom('prod', 'Dev', null), { nil: undefined }),
      email: fc.option(fc.constantFrom('a@x', 'c@x'), { nil: undefined }),
    })
    .map((a): [string, Op] => [
      `accounts.update ${a.id} ${a.alias} ${a.email}`,
      (s) => s.accounts.update(a.id, { alias: a.alias, email: a.email }),
    ]),
  fc
    .constantFrom('prod', 'DEV')
    .map((alias): [string, Op] => [
      `accounts.getByAlias/list ${alias}`,
      async (s) => [await s.accounts.getByAlias(alias), await s.accounts.list()],
    ]),
  fc
    .record({ id: fc.constantFrom('ASIA1', 'ASIA2', 'ASIA3'), expires: date, tags, chained: fc.boolean() })
    .map((x): [string, Op] => {
      const secret = box.seal('session secret', x.id);
      return [
        `sessions.create ${x.id}`,
        (s) =>
          s.sessions.create({
            accessKeyId: x.id,
            secret,
            sessionTokenHash: 'ab'.repeat(32),
            accountId: '111111111111',
            principal: { type: 'AssumedRole', roleId: 'AROA1', roleName: 'r1', sessionName: 'ci' },
            issuedAt: new Date(T0),
            expiresAt: x.expires,
            sessionPolicyArns: ['arn:aws:iam::aws:policy/X'],
            tags: x.tags,
            transitiveTagKeys: x.tags.map((t) => t.key),
            chained: x.chained,
          }),
      ];
    }),
  fc
    .record({ id: fc.constantFrom('ASIA1', 'ASIA2'), now: date })
    .map((x): [string, Op] => [
      `sessions.get/deleteExpired ${x.id}`,
      async (s) => [await s.sessions.get(x.id), await s.sessions.deleteExpired(x.now)],
    ]),
);

// ---- ECR ---------------------------------------------------------------------------------------

const sha = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const region = fc.oneof(
  { weight: 4, arbitrary: fc.constant('us-east-1') },
  { weight: 1, arbitrary: fc.constant('eu-west-1') },
);
const repoName = fc.constantFrom('app', 'app/web', 'base');
const repo: fc.Arbitrary<RepositoryRef> = fc
  .record({ accountId, region, name: repoName })
  .map((r) => ({ accountId: r.accountId, region: r.region, name: r.name }));
const blobDigest = fc.constantFrom(...['b1', 'b2', 'b3', 'b4'].map(sha));
const tagName = fc.constantFrom('latest', 'v1', 'V1', 'v1.0', 'v10');
const label = (r: RepositoryRef): string => `${r.accountId}/${r.region}/${r.name}`;

/** A small pool of manifests: images over the pooled blobs, an index, and referrers. */
const manifests: NewImage[] = (() => {
  const img = (name: string, over: Partial<NewImage>): NewImage => {
    const manifest = Buffer.from(JSON.stringify({ name }));
    return {
      digest: sha(manifest.toString('utf8')),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      manifest,
      imageSize: 100 + name.length,
      pushedAt: new Date(T0),
      blobs: [],
      children: [],
      ...over,
    };
  };
  const a = img('a', { blobs: [sha('b1'), sha('b2')], configDigest: sha('b1') });
  const b = img('b', { blobs: [sha('b2'), sha('b3')] });
  const c = img('c', { blobs: [] });
  const idx = img('idx', {
    mediaType: 'application/vnd.oci.image.index.v1+json',
    children: [a.digest, b.digest],
  });
  const sig = img('sig', { subjectDigest: a.digest, artifactType: 'sig', annotations: { k: 'v' } });
  const sbom = img('sbom', { subjectDigest: a.digest, artifactType: 'sbom', blobs: [sha('b4')] });
  return [a, b, c, idx, sig, sbom];
})();
const manifest = fc.constantFrom(...manifests);
const digest = fc.oneof(
  manifest.map((m) => m.digest),
  fc.constant(sha('unknown')),
);

/** One ECR-side store call. */
const ecrCall: fc.Arbitrary<[string, Op]> = fc.oneof(
  fc
    .record({ r: repo, mutability: fc.constantFrom('MUTABLE' as const, 'IMMUTABLE' as const), tags })
    .map(({ r, mutability, tags: t }): [string, Op] => [
      `repositories.create ${label(r)}`,
      (s) =>
        s.repositories.create({
          ...r,
          arn: `arn:aws:ecr:${r.region}:${r.accountId}:repository/${r.name}`,
          createdAt: new Date(T0),
          imageTagMutability: mutability,
          imageTagMutabilityExclusionFilters: [],
          scanOnPush: false,
          encryption: { encryptionType: 'AES256' },
          tags: t,
        }),
    ]),
  fc
    .record({
      r: repo,
      policy: fc.option(fc.option(text, { nil: null }), { nil: undefined }),
      evaluated: fc.option(fc.option(date, { nil: null }), { nil: undefined }),
      expect: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
    })
    .map(({ r, policy, evaluated, expect }): [string, Op] => [
      `repositories.update ${label(r)} expect=${expect}`,
      (s) =>
        s.repositories.update(
          r.accountId,
          r.region,
          r.name,
          { policyText: policy, lifecycleEvaluatedAt: evaluated },
          { version: expect },
        ),
    ]),
  fc
    .record({ r: repo, force: fc.boolean() })
    .map(({ r, force }): [string, Op] => [
      `repositories.delete ${label(r)} force=${force}`,
      (s) => s.repositories.delete(r.accountId, r.region, r.name, { force }),
    ]),
  fc
    .record({
      accountId,
      region,
      maxItems,
      prefix: fc.option(fc.constantFrom('app', 'app/', 'b'), { nil: undefined }),
    })
    .map((o): [string, Op] => [
      `repositories.list ${o.accountId}/${o.region} ${o.prefix}`,
      (s) =>
        pages((m) =>
          s.repositories.list(o.accountId, o.region, {
            namePrefix: o.prefix,
            maxItems: o.maxItems,
            marker: m,
          }),
        ),
    ]),
  fc
    .record({ r: repo, d: blobDigest, size: fc.integer({ min: 0, max: 5_000_000_000 }), at: date })
    .map(({ r, d, size, at }): [string, Op] => [
      `blobs.link ${label(r)} ${d.slice(7, 13)}`,
      (s) => s.blobs.link(r, { digest: d, size, linkedAt: at }),
    ]),
  fc
    .record({ r: repo, d: blobDigest })
    .map(({ r, d }): [string, Op] => [
      `blobs.unlink ${label(r)} ${d.slice(7, 13)}`,
      (s) => s.blobs.unlink(r, d),
    ]),
  fc
    .record({ r: repo, ds: fc.array(blobDigest, { maxLength: 4 }), maxItems })
    .map(({ r, ds, maxItems: n }): [string, Op] => [
      `blobs.getMany/list/referencedAnywhere ${label(r)}`,
      async (s) => [
        await s.blobs.getMany(r, ds),
        await pages((m) => s.blobs.list(r, { maxItems: n, marker: m })),
        await Promise.all(ds.map((d) => s.blobs.referencedAnywhere(d))),
      ],
    ]),
  fc
    .record({ r: repo, m: manifest, tag: fc.option(tagName, { nil: undefined }), at: date })
    .map(({ r, m, tag, at }): [string, Op] => [
      `images.put ${label(r)} ${m.digest.slice(7, 13)} ${tag}`,
      (s) => s.images.put(r, { ...m, pushedAt: at }, tag === undefined ? undefined : { tag }),
    ]),
  fc
    .record({ r: repo, ds: fc.array(digest, { maxLength: 4 }) })
    .map(({ r, ds }): [string, Op] => [
      `images.delete ${label(r)} ${ds.map((d) => d.slice(7, 13)).join(',')}`,
      (s) => s.images.delete(r, ds),
    ]),
  fc
    .record({ r: repo, d: digest, tag: tagName })
    .map(({ r, d, tag }): [string, Op] => [
      `images.get/getByTag/references/referrers ${label(r)} ${d.slice(7, 13)} ${tag}`,
      async (s) => [
        await s.images.get(r, d),
        await s.images.getByTag(r, tag),
        await s.images.references(r, d),
        await s.images.referrers(r, d),
        await s.images.referrers(r, d, { artifactType: 'sbom' }),
      ],
    ]),
  fc
    .record({
      r: repo,
      filter: fc.constantFrom('tagged' as const, 'untagged' as const, 'any' as const),
      maxItems,
    })
    .map(({ r, filter, maxItems: n }): [string, Op] => [
      `images.list ${label(r)} ${filter}`,
      (s) => pages((m) => s.images.list(r, { filter, maxItems: n, marker: m })),
    ]),
  fc
    .record({ r: repo, d: digest, at: date })
    .map(({ r, d, at }): [string, Op] => [
      `images.markPulled ${label(r)} ${d.slice(7, 13)}`,
      (s) => s.images.markPulled(r, d, at),
    ]),
  fc
    .record({ r: repo, tag: tagName, d: digest, at: date, del: fc.boolean() })
    .map(({ r, tag, d, at, del }): [string, Op] => [
      `tags.${del ? 'delete' : 'put'} ${label(r)} ${tag}`,
      (s) => (del ? s.tags.delete(r, tag) : s.tags.put(r, tag, d, at)),
    ]),
  fc
    .record({
      r: repo,
      n: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      last: fc.option(tagName, { nil: undefined }),
    })
    .map(({ r, n, last }): [string, Op] => [
      `tags.list ${label(r)} n=${n} last=${last}`,
      async (s) => [await s.tags.list(r, { n, last }), await s.tags.get(r, last ?? 'latest')],
    ]),
  fc
    .record({ r: repo, id: fc.constantFrom('u1', 'u2'), at: date })
    .map(({ r, id, at }): [string, Op] => [
      `uploads.create ${id} ${label(r)}`,
      (s) => s.uploads.create({ id, repository: r, createdAt: at }),
    ]),
  fc
    .record({
      id: fc.constantFrom('u1', 'u2'),
      size: fc.integer({ min: 0, max: 100 }),
      state: fc.option(fc.constantFrom('COMPLETING' as const, 'CANCELLED' as const), { nil: undefined }),
      expectSize: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      at: date,
      del: fc.boolean(),
    })
    .map((u): [string, Op] => [
      `uploads.${u.del ? 'delete' : 'update'} ${u.id}`,
      (s) =>
        u.del
          ? s.uploads.delete(u.id)
          : s.uploads.update(u.id, { size: u.size, state: u.state, updatedAt: u.at }, { size: u.expectSize }),
    ]),
  fc
    .record({ r: fc.option(repo, { nil: undefined }), before: fc.option(date, { nil: undefined }), maxItems })
    .map((o): [string, Op] => [
      `uploads.list/get`,
      async (s) => [
        await pages((m) =>
          s.uploads.list({ repository: o.r, updatedBefore: o.before, maxItems: o.maxItems, marker: m }),
        ),
        await s.uploads.get('u1'),
      ],
    ]),
  fc
    .record({ id: fc.constantFrom('j1', 'j2', 'j3'), r: repo, d: digest, at: date })
    .map(({ id, r, d, at }): [string, Op] => [
      `replication.enqueue ${id}`,
      (s) =>
        s.replication.enqueue({
          id,
          source: { accountId: r.accountId, region: r.region, repositoryName: r.name, digest: d },
          destination: { region: 'eu-west-1', registryId: '222222222222' },
          tags: ['latest'],
          createdAt: new Date(T0),
          nextAttemptAt: at,
        }),
    ]),
  fc
    .record({
      now: date,
      lease: fc.option(date, { nil: undefined }),
      worker: fc.option(text, { nil: undefined }),
    })
    .map(({ now, lease, worker }): [string, Op] => [
      `replication.claimNext`,
      (s) => s.replication.claimNext(now, { leaseUntil: lease, worker }),
    ]),
  fc
    .record({
      id: fc.constantFrom('j1', 'j2'),
      state: fc.constantFrom(
        'PENDING' as const,
        'COMPLETE' as const,
        'FAILED' as const,
        'IN_PROGRESS' as const,
      ),
      next: fc.option(date, { nil: undefined }),
      reason: fc.option(fc.option(text, { nil: null }), { nil: undefined }),
      attempts: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      at: date,
    })
    .map((j): [string, Op] => [
      `replication.update ${j.id} ${j.state} expect=${j.attempts}`,
      (s) =>
        s.replication.update(
          j.id,
          { state: j.state, nextAttemptAt: j.next, failureReason: j.reason, updatedAt: j.at },
          { attempts: j.attempts },
        ),
    ]),
  fc.record({ maxItems, r: fc.option(repo, { nil: undefined }) }).map(({ maxItems: n, r }): [string, Op] => [
    `replication.list`,
    (s) =>
      pages((m) =>
        s.replication.list({
          source:
            r === undefined
              ? undefined
              : { accountId: r.accountId, region: r.region, repositoryName: r.name },
          maxItems: n,
          marker: m,
        }),
      ),
  ]),
  fc
    .record({
      accountId,
      region,
      policy: fc.option(fc.option(text, { nil: null }), { nil: undefined }),
      prefixes: fc.option(fc.array(fc.constantFrom('quay', 'ecr', 'ROOT'), { maxLength: 3 }), {
        nil: undefined,
      }),
      expect: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
      at: date,
    })
    .map((o): [string, Op] => [
      `registries.put ${o.accountId}/${o.region} ${o.prefixes} expect=${o.expect}`,
      async (s) => [
        await s.registries.put(
          o.accountId,
          o.region,
          {
            policyText: o.policy,
            pullThroughCacheRules: o.prefixes?.map((prefix) => ({
              prefix,
              upstreamRegistryUrl: `${prefix}.example`,
              createdAt: o.at,
            })),
            updatedAt: o.at,
          },
          { version: o.expect },
        ),
        await s.registries.get(o.accountId, o.region),
      ],
    ]),
);

/** One store call of either side. */
const call: fc.Arbitrary<[string, Op]> = fc.oneof(iamCall, ecrCall);

/** A store call, or a few of them in a (possibly aborting, possibly nested) transaction. */
const command: fc.Arbitrary<StoreCommand> = fc.oneof(
  { weight: 6, arbitrary: call.map(([label, op]) => cmd(label, op)) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        calls: fc.array(call, { minLength: 1, maxLength: 4 }),
        abort: fc.boolean(),
        nested: fc.boolean(),
      })
      .map(({ calls, abort, nested }) => {
        const label = `transaction${abort ? ' (aborts)' : ''}${nested ? ' (nested)' : ''} [${calls.map((c) => c[0]).join('; ')}]`;
        const body = async (tx: MetadataTx): Promise<unknown[]> => {
          const results: unknown[] = [];
          for (const [, op] of calls) results.push(await outcome(op, tx));
          if (abort) throw new Abort();
          return results;
        };
        return cmd(label, (s) =>
          s.transaction(async (tx) =>
            nested
              ? [await outcome((t) => t.transaction(body), tx), await tx.users.list('111111111111')]
              : body(tx),
          ),
        );
      }),
  },
);

const seededSecret = box.seal('s', 'AKIA1');

/** A starting state, so that random calls mostly meet existing entities. */
const seed: [string, Op][] = [
  [
    'seed repositories with blobs and an image',
    async (s) => {
      for (const [accountId, region, name] of [
        ['111111111111', 'us-east-1', 'app'],
        ['111111111111', 'us-east-1', 'base'],
        ['222222222222', 'eu-west-1', 'app'],
      ] as const) {
        const r = { accountId, region, name };
        await s.repositories.create({
          ...r,
          arn: `arn:aws:ecr:${region}:${accountId}:repository/${name}`,
          createdAt: new Date(T0),
          imageTagMutability: 'MUTABLE',
          imageTagMutabilityExclusionFilters: [],
          scanOnPush: false,
          encryption: { encryptionType: 'AES256' },
          tags: [],
        });
        for (const b of ['b1', 'b2', 'b3'])
          await s.blobs.link(r, { digest: sha(b), size: 7, linkedAt: new Date(T0) });
      }
      const app = { accountId: '111111111111', region: 'us-east-1', name: 'app' };
      for (const m of [...manifests.slice(0, 3), manifests[4] as NewImage]) {
        await s.images.put(app, m, { tag: m === manifests[0] ? 'latest' : undefined });
      }
    },
  ],
  [
    'seed users',
    async (s) => {
      for (const [accountId, name, id] of [
        ['111111111111', 'alice', 'AIDA1'],
        ['111111111111', 'bob', 'AIDA2'],
        ['222222222222', 'zed', 'AIDA3'],
      ] as const) {
        await s.users.create({ accountId, name, id, path: '/a/', createdAt: new Date(T0), tags: [] });
      }
    },
  ],
  [
    'seed roles',
    async (s) => {
      for (const [accountId, name, id] of [
        ['111111111111', 'r1', 'AROA1'],
        ['111111111111', 'deployer', 'AROA2'],
      ] as const) {
        await s.roles.create({
          accountId,
          name,
          id,
          path: '/',
          createdAt: new Date(T0),
          assumeRolePolicyDocument: '{}',
          maxSessionDuration: 3600,
          tags: [],
        });
      }
    },
  ],
  [
    'seed policy, profile, key',
    async (s) => {
      await s.managedPolicies.create({
        accountId: '111111111111',
        name: 'P',
        path: '/',
        id: 'ANPA1',
        arn: 'arn:aws:iam::111111111111:policy/P',
        createdAt: new Date(T0),
        tags: [],
        document: '{}',
      });
      await s.managedPolicies.createVersion('111111111111', 'P', {
        document: '{"v":2}',
        createdAt: new Date(T0),
        setAsDefault: true,
      });
      await s.instanceProfiles.create({
        accountId: '111111111111',
        name: 'Web',
        path: '/',
        id: 'AIPA1',
        createdAt: new Date(T0),
        tags: [],
      });
      await s.accessKeys.create({
        id: 'AKIA1',
        accountId: '111111111111',
        userName: 'alice',
        status: 'Active',
        secret: seededSecret,
        createdAt: new Date(T0),
      });
    },
  ],
];

test('the SQLite driver behaves as the memory model on random command sequences', async () => {
  await fc.assert(
    fc.asyncProperty(fc.commands([command], { maxCommands: 80, size: 'max' }), async (cmds) => {
      const model = new MemoryMetadataStore();
      const real = await openSqliteMetadataStore({ inMemory: true });
      try {
        const setup = { model: { store: model }, real: { store: real } };
        for (const [label, op] of seed) await cmd(label, op).run(setup.model, setup.real);
        await fc.asyncModelRun(() => setup, cmds);
      } finally {
        await model.close();
        await real.close();
      }
    }),
    { numRuns: Number(process.env.MODEL_RUNS ?? 150) },
  );
});
