/**
 * ECR's data-path API operations — BatchCheckLayerAvailability, GetDownloadUrlForLayer,
 * InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload, PutImage, BatchGetImage — with
 * inputs and outputs in AWS's member names, so the api adapter hands decoded requests straight in
 * and encodes answers straight out. Each validates ECR's model constraints first
 * (InvalidParameterException), then authorizes through the same services the registry uses
 * (`layers.ts`, `uploads.ts`, `images.ts`), so the API and the registry cannot disagree.
 *
 * Decisions: `downloadUrl` is this server's registry blob URL (crossdock serves blobs itself; the
 * URL needs the registry's Basic auth, it is not presigned). `partSize` is 10 MiB (advisory).
 * BatchGetImage returns stored manifests as pushed and ignores `acceptedMediaTypes`: crossdock
 * never converts manifest formats.
 */
import type { Caller } from '../../auth/caller.js';
import { isDigest } from '../../store/blobs/BlobStore.js';
import { BlobStoreError } from '../../store/blobs/errors.js';
import { RepositoryAccess } from './access.js';
import type { EcrDeps } from './deps.js';
import { ECR_LIMITS, ecrErrors, imageFailures } from './errors.js';
import { ImageService, type ImageFailure, type ImageId } from './images.js';
import { ServiceError } from '../errors.js';
import { LayerService, type LayerFailureOut, type LayerOut } from './layers.js';
import type { ImageIdIn } from './present.js';
import { UploadService } from './uploads.js';
import { checkListLength, IMAGE_DIGEST, imageIdProblem, targetRef } from './validate.js';

/** The advisory part size InitiateLayerUpload answers (ECR's 10 MiB part quota). */
export const LAYER_PART_SIZE = 10 * 1024 * 1024;

/** The largest `layerPartBlob` ECR's model accepts. */
export const MAX_LAYER_PART_BYTES = 20_971_520;

/** Inputs of the data-path operations, member names as in the ECR API. */
export interface EcrDataInputs {
  BatchCheckLayerAvailability: { registryId?: string; repositoryName: string; layerDigests: string[] };
  GetDownloadUrlForLayer: { registryId?: string; repositoryName: string; layerDigest: string };
  InitiateLayerUpload: { registryId?: string; repositoryName: string };
  UploadLayerPart: {
    registryId?: string;
    repositoryName: string;
    uploadId: string;
    partFirstByte: number;
    partLastByte: number;
    /** The part's bytes (base64 on the wire; the awsJson decoder hands bytes). */
    layerPartBlob: Uint8Array;
  };
  CompleteLayerUpload: {
    registryId?: string;
    repositoryName: string;
    uploadId: string;
    layerDigests: string[];
  };
  PutImage: {
    registryId?: string;
    repositoryName: string;
    imageManifest: string;
    imageManifestMediaType?: string;
    imageTag?: string;
    imageDigest?: string;
  };
  BatchGetImage: {
    registryId?: string;
    repositoryName: string;
    imageIds: ImageIdIn[];
    acceptedMediaTypes?: string[];
  };
}

/** `Image` of PutImage and BatchGetImage. */
export interface ImageOut {
  readonly registryId: string;
  readonly repositoryName: string;
  readonly imageId: ImageId;
  readonly imageManifest: string;
  readonly imageManifestMediaType: string;
}

/** Answers of the data-path operations, members in the ECR model's order. */
export interface EcrDataOutputs {
  BatchCheckLayerAvailability: { layers: LayerOut[]; failures: LayerFailureOut[] };
  GetDownloadUrlForLayer: { downloadUrl: string; layerDigest: string };
  InitiateLayerUpload: { uploadId: string; partSize: number };
  UploadLayerPart: { registryId: string; repositoryName: string; uploadId: string; lastByteReceived: number };
  CompleteLayerUpload: { registryId: string; repositoryName: string; uploadId: string; layerDigest: string };
  PutImage: { image: ImageOut };
  BatchGetImage: { images: ImageOut[]; failures: ImageFailure[] };
}

/** Blob-store errors an API caller must not see raw (the registry maps them itself). */
function apiError(err: unknown): unknown {
  if (err instanceof BlobStoreError && err.code === 'DigestInvalid')
    return ecrErrors.invalidParameter('layerDigest', 'Invalid layer digest');
  return err;
}

/** The data-path API operations; see the module comment. */
export class EcrDataService {
  private readonly access: RepositoryAccess;
  private readonly layers: LayerService;
  private readonly uploads: UploadService;
  private readonly images: ImageService;

  constructor(deps: EcrDeps) {
    this.access = new RepositoryAccess(deps);
    this.layers = new LayerService(deps);
    this.uploads = new UploadService(deps, this.layers);
    this.images = new ImageService(deps);
  }

  /** BatchCheckLayerAvailability — ecr:BatchCheckLayerAvailability. */
  async batchCheckLayerAvailability(
    c: Caller,
    i: EcrDataInputs['BatchCheckLayerAvailability'],
  ): Promise<EcrDataOutputs['BatchCheckLayerAvailability']> {
    const ref = targetRef(c, i.repositoryName, i.registryId);
    checkListLength('layerDigests', i.layerDigests.length, 100);
    return this.layers.checkAvailability(c, ref, i.layerDigests);
  }

  /** GetDownloadUrlForLayer — ecr:GetDownloadUrlForLayer. */
  async getDownloadUrlForLayer(
    c: Caller,
    i: EcrDataInputs['GetDownloadUrlForLayer'],
  ): Promise<EcrDataOutputs['GetDownloadUrlForLayer']> {
    const ref = targetRef(c, i.repositoryName, i.registryId);
    if (!IMAGE_DIGEST.test(i.layerDigest))
      throw ecrErrors.invalidParameter(
        'layerDigest',
        "must satisfy regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
      );
    return this.layers.downloadUrl(c, ref, i.layerDigest);
  }

  /** InitiateLayerUpload — ecr:InitiateLayerUpload. */
  async initiateLayerUpload(
    c: Caller,
    i: EcrDataInputs['InitiateLayerUpload'],
  ): Promise<EcrDataOutputs['InitiateLayerUpload']> {
    const ref = targetRef(c, i.repositoryName, i.registryId);
    const u = await this.uploads.start(c, ref);
    return { uploadId: u.uploadId, partSize: LAYER_PART_SIZE };
  }

  /** UploadLayerPart — ecr:UploadLayerPart. */
  async uploadLayerPart(
    c: Caller,
    i: EcrDataInputs['UploadLayerPart'],
  ): Promise<EcrDataOutputs['UploadLayerPart']> {
    const ref = targetRef(c, i.repositoryName, i.registryId);
    for (const [member, v] of [
      ['partFirstByte', i.partFirstByte],
      ['partLastByte', i.partLastByte],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0)
        throw ecrErrors.invalidParameter(member, 'must have value greater than or equal to 0');
    }
    if (i.layerPartBlob.byteLength > MAX_LAYER_PART_BYTES) {
      throw ecrErrors.invalidParameter(
        'layerPartBlob',
        `must have length less than or equal to ${MAX_LAYER_PART_BYTES}`,
      );
    }
    const u = await this.uploads.uploadPart(c, ref, i.uploadId, {
      first: i.partFirstByte,
      last: i.partLastByte,
      bytes: i.layerPartBlob,
    });
    return {
      registryId: ref.accountId,
      repositoryName: ref.name,
      uploadId: u.uploadId,
      lastByteReceived: u.size - 1,
    };
  }

  /** CompleteLayerUpload — ecr:CompleteLayerUpload. */
  async completeLayerUpload(
    c: Caller,
    i: EcrDataInputs['CompleteLayerUpload'],
  ): Promise<EcrDataOutputs['CompleteLayerUpload']> {
    const ref = targetRef(c, i.repositoryName, i.registryId);
    checkListLength('layerDigests', i.layerDigests.length, 100);
    if (i.layerDigests.length !== 1)
      throw ecrErrors.invalidParameter('layerDigests', 'exactly one layer digest must be given');
    const digest = i.layerDigests[0]!;
    if (!IMAGE_DIGEST.test(digest))
      throw ecrErrors.invalidParameter(
        'layerDigests',
        "must satisfy regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
      );
    if (!isDigest(digest)) {
      throw new ServiceError(
        'InvalidLayerException',
        `The layer digest '${digest.slice(0, 160)}' cannot be verified: crossdock verifies sha256 and sha512 digests in lowercase hex`,
      );
    }
    try {
      const done = await this.uploads.complete(c, ref, i.uploadId, digest, undefined, 'api');
      return {
        registryId: ref.accountId,
        repositoryName: ref.name,
        uploadId: i.uploadId,
        layerDigest: done.digest,
      };
    } catch (err) {
      throw apiError(err);
    }
  }

  /** PutImage — ecr:PutImage. */
  async putImage(c: Caller, i: EcrDataInputs['PutImage']): Promise<EcrDataOutputs['PutImage']> {
    const ref = targetRef(c, i.repositoryName, i.registryId);
    if (
      i.imageTag !== undefined &&
      (i.imageTag.length < 1 || i.imageTag.length > ECR_LIMITS.imageTagLength)
    ) {
      throw ecrErrors.invalidParameter(
        'imageTag',
        `must have length less than or equal to ${ECR_LIMITS.imageTagLength} and greater than or equal to 1`,
      );
    }
    if (i.imageDigest !== undefined && !IMAGE_DIGEST.test(i.imageDigest))
      throw ecrErrors.invalidParameter(
        'imageDigest',
        "must satisfy regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
      );
    const r = await this.images.push(
      c,
      ref,
      {
        manifest: Buffer.from(i.imageManifest, 'utf8'),
        ...(i.imageManifestMediaType !== undefined && { mediaType: i.imageManifestMediaType }),
        ...(i.imageTag !== undefined && { tag: i.imageTag }),
        ...(i.imageDigest !== undefined && { digest: i.imageDigest }),
      },
      'api',
    );
    return {
      image: {
        registryId: ref.accountId,
        repositoryName: ref.name,
        imageId: {
          imageDigest: r.manifest.digest,
          ...(i.imageTag !== undefined && { imageTag: i.imageTag }),
        },
        imageManifest: i.imageManifest,
        imageManifestMediaType: r.manifest.mediaType,
      },
    };
  }

  /**
   * BatchGetImage — ecr:BatchGetImage, authorized once for the repository; images that cannot be
   * returned are per-image failures (ImageNotFound "Requested image not found", malformed ids,
   * a tag that names another digest), never an exception.
   */
  async batchGetImage(
    c: Caller,
    i: EcrDataInputs['BatchGetImage'],
  ): Promise<EcrDataOutputs['BatchGetImage']> {
    const ref = targetRef(c, i.repositoryName, i.registryId);
    checkListLength('imageIds', i.imageIds.length, ECR_LIMITS.imageIdsPerCall);
    if (i.acceptedMediaTypes !== undefined)
      checkListLength('acceptedMediaTypes', i.acceptedMediaTypes.length, 100);
    await this.access.require(c, 'ecr:BatchGetImage', ref);
    const images: ImageOut[] = [];
    const failures: ImageFailure[] = [];
    for (const id of i.imageIds) {
      const imageId: ImageId = {
        ...(id.imageDigest !== undefined && { imageDigest: id.imageDigest }),
        ...(id.imageTag !== undefined && { imageTag: id.imageTag }),
      };
      const problem = imageIdProblem(id);
      if (problem === 'missing') failures.push({ imageId, ...imageFailures.missingDigestAndTag });
      else if (problem === 'digest') failures.push({ imageId, ...imageFailures.invalidDigest });
      else if (problem === 'tag') failures.push({ imageId, ...imageFailures.invalidTag });
      if (problem !== undefined) continue;
      const image = await this.images.find(ref, id.imageTag ?? id.imageDigest!);
      if (image === undefined) {
        failures.push({ imageId, ...imageFailures.notFound });
        continue;
      }
      if (id.imageTag !== undefined && id.imageDigest !== undefined && image.digest !== id.imageDigest) {
        failures.push({
          imageId,
          failureCode: 'ImageTagDoesNotMatchDigest',
          failureReason: 'Invalid request parameters: the tag does not point to the digest',
        });
        continue;
      }
      await this.images.recordPull(ref, image);
      images.push({
        registryId: ref.accountId,
        repositoryName: ref.name,
        imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined && { imageTag: id.imageTag }) },
        imageManifest: Buffer.from(image.manifest).toString('utf8'),
        imageManifestMediaType: image.mediaType,
      });
    }
    return { images, failures };
  }
}
