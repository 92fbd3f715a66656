/**
 * The contract between the ECR api adapter and whatever serves ECR's data-path operations (push
 * and pull through the API: layers, uploads, manifests). Declared here, by the adapter that calls
 * it, in plain structural types with AWS's member names, so that the service implementing it
 * (`services/ecr/`) satisfies it without importing anything from the api layer (imports point
 * down only). Inputs are what the awsJson codec decodes (`layerPartBlob` as bytes); outputs are
 * AWS's answers with members in the ECR model's order, timestamps as `Date`.
 */
import type { Caller } from '../../auth/caller.js';

/** An `ImageIdentifier`. */
export interface DataImageId {
  readonly imageDigest?: string;
  readonly imageTag?: string;
}

/** Inputs of the data-path operations (ECR API member names). */
export interface EcrDataInput {
  BatchCheckLayerAvailability: { repositoryName: string; layerDigests: string[]; registryId?: string };
  GetDownloadUrlForLayer: { repositoryName: string; layerDigest: string; registryId?: string };
  InitiateLayerUpload: { repositoryName: string; registryId?: string };
  UploadLayerPart: {
    repositoryName: string;
    uploadId: string;
    partFirstByte: number;
    partLastByte: number;
    layerPartBlob: Uint8Array;
    registryId?: string;
  };
  CompleteLayerUpload: {
    repositoryName: string;
    uploadId: string;
    layerDigests: string[];
    registryId?: string;
  };
  PutImage: {
    repositoryName: string;
    imageManifest: string;
    registryId?: string;
    imageManifestMediaType?: string;
    imageTag?: string;
    imageDigest?: string;
  };
  BatchGetImage: {
    repositoryName: string;
    imageIds: DataImageId[];
    registryId?: string;
    acceptedMediaTypes?: string[];
  };
}

/** `Image` (PutImage, BatchGetImage). */
export interface DataImage {
  readonly registryId: string;
  readonly repositoryName: string;
  readonly imageId: DataImageId;
  readonly imageManifest: string;
  readonly imageManifestMediaType: string;
}

/** `ImageFailure`. */
export interface DataImageFailure {
  readonly imageId: DataImageId;
  readonly failureCode: string;
  readonly failureReason: string;
}

/** `Layer`. */
export interface DataLayer {
  readonly layerDigest: string;
  readonly layerAvailability: string;
  readonly layerSize: number;
  readonly mediaType?: string;
}

/** `LayerFailure`. */
export interface DataLayerFailure {
  readonly layerDigest: string;
  readonly failureCode: string;
  readonly failureReason: string;
}

/** Answers of the data-path operations (ECR model member order). */
export interface EcrDataOutput {
  BatchCheckLayerAvailability: { layers: DataLayer[]; failures: DataLayerFailure[] };
  GetDownloadUrlForLayer: { downloadUrl: string; layerDigest: string };
  InitiateLayerUpload: { uploadId: string; partSize: number };
  UploadLayerPart: { registryId: string; repositoryName: string; uploadId: string; lastByteReceived: number };
  CompleteLayerUpload: { registryId: string; repositoryName: string; uploadId: string; layerDigest: string };
  PutImage: { image: DataImage };
  BatchGetImage: { images: DataImage[]; failures: DataImageFailure[] };
}

/**
 * ECR's data-path operations, one method per operation: `(caller, decoded input) → AWS output`.
 * Each authorizes the caller itself (RepositoryAccess) and throws `ServiceError`s in ECR's
 * vocabulary or `AccessDeniedError`, which the adapter maps to the wire once.
 */
export interface EcrDataOps {
  batchCheckLayerAvailability(
    caller: Caller,
    input: EcrDataInput['BatchCheckLayerAvailability'],
  ): Promise<EcrDataOutput['BatchCheckLayerAvailability']>;
  getDownloadUrlForLayer(
    caller: Caller,
    input: EcrDataInput['GetDownloadUrlForLayer'],
  ): Promise<EcrDataOutput['GetDownloadUrlForLayer']>;
  initiateLayerUpload(
    caller: Caller,
    input: EcrDataInput['InitiateLayerUpload'],
  ): Promise<EcrDataOutput['InitiateLayerUpload']>;
  uploadLayerPart(
    caller: Caller,
    input: EcrDataInput['UploadLayerPart'],
  ): Promise<EcrDataOutput['UploadLayerPart']>;
  completeLayerUpload(
    caller: Caller,
    input: EcrDataInput['CompleteLayerUpload'],
  ): Promise<EcrDataOutput['CompleteLayerUpload']>;
  putImage(caller: Caller, input: EcrDataInput['PutImage']): Promise<EcrDataOutput['PutImage']>;
  batchGetImage(
    caller: Caller,
    input: EcrDataInput['BatchGetImage'],
  ): Promise<EcrDataOutput['BatchGetImage']>;
}
