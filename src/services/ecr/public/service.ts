/**
 * Amazon ECR Public's API (`SpencerFrontendService.<Operation>`, signing name `ecr-public`): the
 * operations needed to create a public repository, describe it and its catalog data, set its
 * policy and tags, and push to it. A public repository is an ECR repository in the
 * {@link PUBLIC_REGION} partition (`partition.ts`), so each operation is the ECR operation of the
 * same name run for the caller with that partition as the request's region — the same validation,
 * the same one door (with the `ecr-public:` action and ARN), the same store — and its answer is
 * put in ECR Public's shapes. What ECR has no counterpart for (catalog data, registries and their
 * aliases, the token) is here.
 *
 * ECR Public's API exists in `us-east-1` only; a call signed for another region is refused with
 * UnsupportedCommandException, as the service refuses what it does not serve in a region.
 */
import type { Caller } from '../../../auth/caller.js';
import { loginToken, loginTokenWindow } from '../auth.js';
import { NotFound } from '../../../store/meta/errors.js';
import type { ImageInfo, RepositoryRef } from '../../../store/meta/records.js';
import { ServiceError } from '../../errors.js';
import { repositoryNotFound } from '../access.js';
import type { RegistryAddressing } from '../addressing.js';
import { EcrDataService, type EcrDataInputs } from '../dataOps.js';
import type { EcrDeps } from '../deps.js';
import { ECR_LIMITS, ecrErrors as E } from '../errors.js';
import type { RepositoryOut, TagIn } from '../present.js';
import { EcrContext, EcrService } from '../service.js';
import { checkPaging, checkRegistryId, checkRepositoryName, decodeToken, encodeToken } from '../validate.js';
import { PublicAliases } from './aliases.js';
import {
  checkCatalogData,
  catalogDataOut,
  type CatalogDataIn,
  type CatalogDataOut,
  parseStoredCatalog,
} from './catalog.js';
import { PUBLIC_API_REGION, PUBLIC_REGION, publicRegistryArn } from './partition.js';

/** A public repository as ECR Public answers it. */
export interface PublicRepositoryOut {
  repositoryArn: string;
  registryId: string;
  repositoryName: string;
  repositoryUri: string;
  createdAt: Date;
}

/** An image as ECR Public's DescribeImages shows it. */
export interface PublicImageDetailOut {
  registryId: string;
  repositoryName: string;
  imageDigest: string;
  imageTags?: string[];
  imageSizeInBytes: number;
  imagePushedAt: Date;
  imageManifestMediaType: string;
  artifactMediaType?: string;
}

/** The registry part of a public image reference: `public.ecr.<domain>/<alias>` or `HOST:PORT/public/<alias>`. */
export function publicRegistryUri(a: RegistryAddressing, alias: string): string {
  if (a.style === 'host') return `public.ecr.${a.domain}${a.port === '' ? '' : `:${a.port}`}/${alias}`;
  return `${a.authority}/public/${alias}`;
}

/** The inputs of the operations, member names as in ECR Public's model (`ecr-public/2020-10-30`). */
export interface EcrPublicInputs {
  CreateRepository: { repositoryName: string; catalogData?: CatalogDataIn; tags?: TagIn[] };
  DescribeRepositories: {
    registryId?: string;
    repositoryNames?: string[];
    nextToken?: string;
    maxResults?: number;
  };
  DeleteRepository: { repositoryName: string; registryId?: string; force?: boolean };
  SetRepositoryPolicy: { repositoryName: string; policyText: string; registryId?: string; force?: boolean };
  GetRepositoryPolicy: { repositoryName: string; registryId?: string };
  DeleteRepositoryPolicy: { repositoryName: string; registryId?: string };
  PutRepositoryCatalogData: { repositoryName: string; catalogData: CatalogDataIn; registryId?: string };
  GetRepositoryCatalogData: { repositoryName: string; registryId?: string };
  GetRegistryCatalogData: Record<string, never>;
  PutRegistryCatalogData: { displayName?: string };
  DescribeRegistries: { nextToken?: string; maxResults?: number };
  GetAuthorizationToken: Record<string, never>;
  TagResource: { resourceArn: string; tags: TagIn[] };
  UntagResource: { resourceArn: string; tagKeys: string[] };
  ListTagsForResource: { resourceArn: string };
  DescribeImages: {
    repositoryName: string;
    registryId?: string;
    imageIds?: { imageDigest?: string; imageTag?: string }[];
    nextToken?: string;
    maxResults?: number;
  };
  DescribeImageTags: { repositoryName: string; registryId?: string; nextToken?: string; maxResults?: number };
  BatchDeleteImage: {
    repositoryName: string;
    imageIds: { imageDigest?: string; imageTag?: string }[];
    registryId?: string;
  };
  BatchCheckLayerAvailability: EcrDataInputs['BatchCheckLayerAvailability'];
  InitiateLayerUpload: EcrDataInputs['InitiateLayerUpload'];
  UploadLayerPart: EcrDataInputs['UploadLayerPart'];
  CompleteLayerUpload: EcrDataInputs['CompleteLayerUpload'];
  PutImage: EcrDataInputs['PutImage'];
}

/** ECR Public's API for one crossdock server; see the module comment. */
export class EcrPublicService {
  private readonly ctx: EcrContext;
  private readonly ecr: EcrService;
  private readonly data: EcrDataService;
  private readonly aliases: PublicAliases;

  constructor(private readonly deps: EcrDeps) {
    this.ctx = new EcrContext(deps);
    this.ecr = new EcrService(deps);
    this.data = new EcrDataService(deps);
    this.aliases = new PublicAliases(deps);
  }

  /**
   * The caller as ECR's operations see it for a public repository: the request's region is the
   * public partition. Refuses a call signed for any region but `us-east-1`.
   */
  private pub(c: Caller): Caller {
    if (c.request.region !== PUBLIC_API_REGION) {
      throw new ServiceError(
        'UnsupportedCommandException',
        `Amazon ECR Public is available in ${PUBLIC_API_REGION} only; this request was signed for ${c.request.region}.`,
      );
    }
    return { ...c, request: { ...c.request, region: PUBLIC_REGION } };
  }

  /** The account a `registryId` (or, where ECR Public allows, a registry alias) names. */
  private async registryOf(c: Caller, registryIdOrAlias: string | undefined): Promise<string | undefined> {
    if (registryIdOrAlias === undefined || /^\d{12}$/.test(registryIdOrAlias)) return registryIdOrAlias;
    const account = await this.aliases.accountOf(registryIdOrAlias);
    if (account === undefined) {
      throw new ServiceError(
        'RegistryNotFoundException',
        `The registry with id '${registryIdOrAlias}' does not exist`,
      );
    }
    return account;
  }

  /** A repository as ECR answered it, in ECR Public's shape (its URI names the registry alias). */
  private repositoryOut(r: RepositoryOut): PublicRepositoryOut {
    const registry = publicRegistryUri(this.deps.addressing, this.aliases.aliasOf(r.registryId));
    return {
      repositoryArn: r.repositoryArn,
      registryId: r.registryId,
      repositoryName: r.repositoryName,
      repositoryUri: `${registry}/${r.repositoryName}`,
      createdAt: r.createdAt,
    };
  }

  private static checkName(name: string): void {
    checkRepositoryName(name);
    if (name.length > ECR_LIMITS.publicRepositoryNameMax)
      throw E.invalidParameter(
        'repositoryName',
        `must have length less than or equal to ${ECR_LIMITS.publicRepositoryNameMax}`,
      );
  }

  /** CreateRepository: ecr-public:CreateRepository (with its tags); catalog data is kept with it. */
  async createRepository(
    c: Caller,
    i: EcrPublicInputs['CreateRepository'],
  ): Promise<{ repository: PublicRepositoryOut; catalogData?: CatalogDataOut }> {
    EcrPublicService.checkName(i.repositoryName);
    const catalog = i.catalogData === undefined ? undefined : checkCatalogData(i.catalogData);
    const pc = this.pub(c);
    const made = await this.ecr.createRepository(pc, {
      repositoryName: i.repositoryName,
      ...(i.tags !== undefined && { tags: i.tags }),
    });
    if (catalog !== undefined) {
      await this.deps.store.repositories.update(made.repository.registryId, PUBLIC_REGION, i.repositoryName, {
        catalogDataText: JSON.stringify(catalog),
      });
    }
    return {
      repository: this.repositoryOut(made.repository),
      ...(catalog !== undefined && { catalogData: catalogDataOut(catalog) }),
    };
  }

  /** DescribeRepositories: ecr-public:DescribeRepositories, as ECR decides it. */
  async describeRepositories(
    c: Caller,
    i: EcrPublicInputs['DescribeRepositories'],
  ): Promise<{ repositories: PublicRepositoryOut[]; nextToken?: string }> {
    const registryId = await this.registryOf(c, i.registryId);
    const out = await this.ecr.describeRepositories(this.pub(c), {
      ...i,
      ...(registryId !== undefined && { registryId }),
    });
    return {
      repositories: out.repositories.map((r) => this.repositoryOut(r)),
      ...(out.nextToken !== undefined && { nextToken: out.nextToken }),
    };
  }

  /** DeleteRepository: ecr-public:DeleteRepository; `force` deletes its images with it. */
  async deleteRepository(
    c: Caller,
    i: EcrPublicInputs['DeleteRepository'],
  ): Promise<{ repository: PublicRepositoryOut }> {
    const out = await this.ecr.deleteRepository(this.pub(c), i);
    return { repository: this.repositoryOut(out.repository) };
  }

  /** SetRepositoryPolicy: ecr-public:SetRepositoryPolicy, validated as ECR validates it. */
  async setRepositoryPolicy(c: Caller, i: EcrPublicInputs['SetRepositoryPolicy']) {
    return this.ecr.setRepositoryPolicy(this.pub(c), i);
  }

  /** GetRepositoryPolicy: ecr-public:GetRepositoryPolicy. */
  async getRepositoryPolicy(c: Caller, i: EcrPublicInputs['GetRepositoryPolicy']) {
    return this.ecr.getRepositoryPolicy(this.pub(c), i);
  }

  /** DeleteRepositoryPolicy: ecr-public:DeleteRepositoryPolicy. */
  async deleteRepositoryPolicy(c: Caller, i: EcrPublicInputs['DeleteRepositoryPolicy']) {
    return this.ecr.deleteRepositoryPolicy(this.pub(c), i);
  }

  /** PutRepositoryCatalogData: ecr-public:PutRepositoryCatalogData; replaces the catalog data. */
  async putRepositoryCatalogData(
    c: Caller,
    i: EcrPublicInputs['PutRepositoryCatalogData'],
  ): Promise<{ catalogData: CatalogDataOut }> {
    EcrPublicService.checkName(i.repositoryName);
    const catalog = checkCatalogData(i.catalogData);
    const pc = this.pub(c);
    const ref = publicRef(c, i.repositoryName, i.registryId);
    await this.ctx.access.require(pc, 'ecr:PutRepositoryCatalogData', ref);
    try {
      await this.deps.store.repositories.update(ref.accountId, ref.region, ref.name, {
        catalogDataText: JSON.stringify(catalog),
      });
    } catch (e) {
      if (e instanceof NotFound) throw repositoryNotFound(ref);
      throw e;
    }
    return { catalogData: catalogDataOut(catalog) };
  }

  /** GetRepositoryCatalogData: ecr-public:GetRepositoryCatalogData; empty when none was put. */
  async getRepositoryCatalogData(
    c: Caller,
    i: EcrPublicInputs['GetRepositoryCatalogData'],
  ): Promise<{ catalogData: CatalogDataOut }> {
    EcrPublicService.checkName(i.repositoryName);
    const pc = this.pub(c);
    const ref = publicRef(c, i.repositoryName, i.registryId);
    const repo = await this.ctx.access.require(pc, 'ecr:GetRepositoryCatalogData', ref);
    return { catalogData: catalogDataOut(parseStoredCatalog(repo.catalogDataText)) };
  }

  /** Authorizes a registry action of ECR Public on the caller's registry ARN. */
  private async allowRegistry(c: Caller, action: string): Promise<void> {
    this.pub(c);
    await this.deps.authz.authorize({
      caller: c,
      action,
      resource: publicRegistryArn(c.account.id),
      resourceAccount: c.account.id,
    });
  }

  /** GetRegistryCatalogData: ecr-public:GetRegistryCatalogData. */
  async getRegistryCatalogData(c: Caller): Promise<{ registryCatalogData: { displayName?: string } }> {
    await this.allowRegistry(c, 'ecr-public:GetRegistryCatalogData');
    const reg = await this.deps.store.registries.get(c.account.id, PUBLIC_REGION);
    return { registryCatalogData: registryCatalogOut(reg?.catalogDataText) };
  }

  /** PutRegistryCatalogData: ecr-public:PutRegistryCatalogData; `displayName` 0–100 characters. */
  async putRegistryCatalogData(
    c: Caller,
    i: EcrPublicInputs['PutRegistryCatalogData'],
  ): Promise<{ registryCatalogData: { displayName?: string } }> {
    if (i.displayName !== undefined && i.displayName.length > 100)
      throw E.invalidParameter('displayName', 'must have length less than or equal to 100');
    await this.allowRegistry(c, 'ecr-public:PutRegistryCatalogData');
    const text = JSON.stringify(i.displayName === undefined ? {} : { displayName: i.displayName });
    const reg = await this.deps.store.registries.put(c.account.id, PUBLIC_REGION, {
      catalogDataText: text,
      updatedAt: this.ctx.now(),
    });
    return { registryCatalogData: registryCatalogOut(reg.catalogDataText) };
  }

  /** DescribeRegistries: ecr-public:DescribeRegistries; the caller's one public registry. */
  async describeRegistries(
    c: Caller,
    i: EcrPublicInputs['DescribeRegistries'],
  ): Promise<{ registries: object[]; nextToken?: string }> {
    checkPaging(i);
    if (i.nextToken !== undefined) decodeToken(i.nextToken, 'reg', 1);
    await this.allowRegistry(c, 'ecr-public:DescribeRegistries');
    // One registry per account: a token can only be past it.
    if (i.nextToken !== undefined) return { registries: [] };
    const alias = this.aliases.aliasOf(c.account.id);
    return {
      registries: [
        {
          registryId: c.account.id,
          registryArn: publicRegistryArn(c.account.id),
          registryUri: publicRegistryUri(this.deps.addressing, alias),
          verified: false,
          aliases: [
            { name: alias, status: 'ACTIVE', primaryRegistryAlias: true, defaultRegistryAlias: true },
          ],
        },
      ],
    };
  }

  /**
   * GetAuthorizationToken: the password of `aws ecr-public get-login-password`, good for pushing
   * to any public repository the caller may push to. AWS checks `ecr-public:GetAuthorizationToken`
   * and `sts:GetServiceBearerToken`, both on `*` in the caller's identity policies. The token
   * stands for the caller and expires after 12 hours or with the caller's session.
   */
  async getAuthorizationToken(
    c: Caller,
  ): Promise<{ authorizationData: { authorizationToken: string; expiresAt: Date } }> {
    this.pub(c);
    await this.ctx.allowRegistryAction(c, 'ecr-public:GetAuthorizationToken');
    await this.ctx.allowRegistryAction(c, 'sts:GetServiceBearerToken');
    const window = loginTokenWindow(this.deps.clock.now(), c);
    return {
      authorizationData: {
        authorizationToken: loginToken(this.deps.registryTokenKey, c, c.account.id, PUBLIC_REGION, window),
        expiresAt: new Date(window.expiresAt),
      },
    };
  }

  /** TagResource: ecr-public:TagResource on a public repository ARN. */
  async tagResource(c: Caller, i: EcrPublicInputs['TagResource']) {
    return this.ecr.tagResource(this.pub(c), i);
  }

  /** UntagResource: ecr-public:UntagResource. */
  async untagResource(c: Caller, i: EcrPublicInputs['UntagResource']) {
    return this.ecr.untagResource(this.pub(c), i);
  }

  /** ListTagsForResource: ecr-public:ListTagsForResource. */
  async listTagsForResource(c: Caller, i: EcrPublicInputs['ListTagsForResource']) {
    return this.ecr.listTagsForResource(this.pub(c), i);
  }

  /** DescribeImages: ecr-public:DescribeImages, in ECR Public's image shape. */
  async describeImages(
    c: Caller,
    i: EcrPublicInputs['DescribeImages'],
  ): Promise<{ imageDetails: PublicImageDetailOut[]; nextToken?: string }> {
    EcrPublicService.checkName(i.repositoryName);
    const out = await this.ecr.describeImages(this.pub(c), i);
    return {
      imageDetails: out.imageDetails.map((d) => ({
        registryId: d.registryId,
        repositoryName: d.repositoryName,
        imageDigest: d.imageDigest,
        ...(d.imageTags !== undefined && { imageTags: d.imageTags }),
        imageSizeInBytes: d.imageSizeInBytes,
        imagePushedAt: d.imagePushedAt,
        imageManifestMediaType: d.imageManifestMediaType,
        ...(d.artifactMediaType !== undefined && { artifactMediaType: d.artifactMediaType }),
      })),
      ...(out.nextToken !== undefined && { nextToken: out.nextToken }),
    };
  }

  /**
   * DescribeImageTags: ecr-public:DescribeImageTags — every tag of the repository with when it
   * was set and the image it names, in tag order, `maxResults` (1–1000, default 100) a page.
   */
  async describeImageTags(
    c: Caller,
    i: EcrPublicInputs['DescribeImageTags'],
  ): Promise<{ imageTagDetails: object[]; nextToken?: string }> {
    EcrPublicService.checkName(i.repositoryName);
    const size = checkPaging(i);
    const after = i.nextToken === undefined ? undefined : decodeToken(i.nextToken, 'dit', 1)[0];
    const pc = this.pub(c);
    const ref = publicRef(c, i.repositoryName, i.registryId);
    await this.ctx.access.require(pc, 'ecr:DescribeImageTags', ref);
    const page = await this.deps.store.tags.list(ref, {
      n: size + 1,
      ...(after !== undefined && { last: after }),
    });
    const tags = page.items.slice(0, size);
    const images = new Map<string, ImageInfo | undefined>();
    const imageTagDetails: object[] = [];
    for (const t of tags) {
      if (!images.has(t.digest)) images.set(t.digest, await this.deps.store.images.get(ref, t.digest));
      const image = images.get(t.digest);
      imageTagDetails.push({
        imageTag: t.tag,
        createdAt: t.updatedAt,
        ...(image !== undefined && {
          imageDetail: {
            imageDigest: image.digest,
            imageSizeInBytes: image.imageSize,
            imagePushedAt: image.pushedAt,
            imageManifestMediaType: image.mediaType,
            ...(image.configMediaType !== undefined && { artifactMediaType: image.configMediaType }),
          },
        }),
      });
    }
    const last = tags[tags.length - 1];
    return {
      imageTagDetails,
      ...(page.items.length > size && last !== undefined && { nextToken: encodeToken('dit', [last.tag]) }),
    };
  }

  /** BatchDeleteImage: ecr-public:BatchDeleteImage. */
  async batchDeleteImage(c: Caller, i: EcrPublicInputs['BatchDeleteImage']) {
    return this.ecr.batchDeleteImage(this.pub(c), i);
  }

  /** BatchCheckLayerAvailability: ecr-public:BatchCheckLayerAvailability. */
  async batchCheckLayerAvailability(c: Caller, i: EcrPublicInputs['BatchCheckLayerAvailability']) {
    const registryId = await this.registryOf(c, i.registryId);
    return this.data.batchCheckLayerAvailability(this.pub(c), {
      ...i,
      ...(registryId !== undefined && { registryId }),
    });
  }

  /** InitiateLayerUpload: ecr-public:InitiateLayerUpload. */
  async initiateLayerUpload(c: Caller, i: EcrPublicInputs['InitiateLayerUpload']) {
    const registryId = await this.registryOf(c, i.registryId);
    return this.data.initiateLayerUpload(this.pub(c), {
      ...i,
      ...(registryId !== undefined && { registryId }),
    });
  }

  /** UploadLayerPart: ecr-public:UploadLayerPart. */
  async uploadLayerPart(c: Caller, i: EcrPublicInputs['UploadLayerPart']) {
    const registryId = await this.registryOf(c, i.registryId);
    return this.data.uploadLayerPart(this.pub(c), { ...i, ...(registryId !== undefined && { registryId }) });
  }

  /** CompleteLayerUpload: ecr-public:CompleteLayerUpload. */
  async completeLayerUpload(c: Caller, i: EcrPublicInputs['CompleteLayerUpload']) {
    const registryId = await this.registryOf(c, i.registryId);
    return this.data.completeLayerUpload(this.pub(c), {
      ...i,
      ...(registryId !== undefined && { registryId }),
    });
  }

  /** PutImage: ecr-public:PutImage. */
  async putImage(c: Caller, i: EcrPublicInputs['PutImage']) {
    const registryId = await this.registryOf(c, i.registryId);
    return this.data.putImage(this.pub(c), { ...i, ...(registryId !== undefined && { registryId }) });
  }
}

/** The public repository a request names (`registryId` checked: twelve digits). */
function publicRef(c: Caller, repositoryName: string, registryId: string | undefined): RepositoryRef {
  if (registryId !== undefined) checkRegistryId(registryId);
  return { accountId: registryId ?? c.account.id, region: PUBLIC_REGION, name: repositoryName };
}

function registryCatalogOut(text: string | undefined): { displayName?: string } {
  if (text === undefined) return {};
  const v = JSON.parse(text) as { displayName?: unknown };
  return typeof v.displayName === 'string' ? { displayName: v.displayName } : {};
}
