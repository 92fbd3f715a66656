/**
 * The embedded default driver: blobs as files under the data directory. This file is the only
 * place that builds its paths. Layout under `DIR` (the `--data` directory):
 *
 *   DIR/blobs/sha256/ab/abcdef…(64 hex)    a blob: its bytes, named by its digest's hex, in a shard
 *   DIR/blobs/sha512/ab/abcdef…(128 hex)   directory of the first two hex digits. Written once by
 *                                          rename(2), never modified, removed by delete.
 *   DIR/blobs/_tmp/<uuid>                  a put in progress (streamed, hashed, fsynced, then renamed
 *                                          into place). Anything here at open is a crash leftover
 *                                          and is removed.
 *   DIR/uploads/<upload id>                a chunked upload session: the bytes so far (fsynced after
 *                                          each chunk); its mtime is the last touch by the injected
 *                                          clock. Survives restarts so clients can resume; renamed
 *                                          into blobs/ by commit, removed by cancel or cleanup.
 *
 * `_tmp` and `uploads` sit beside `blobs/<alg>` on the same filesystem, so publishing is one atomic
 * rename: a blob is either absent or whole. Concurrent writers of one digest each stage their own
 * file; the last rename replaces an identical file, so both succeed and one file remains. Upload
 * sessions are serialised per process only: one process owns a data directory.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  DIGEST_ALGORITHMS,
  digestAlgorithm,
  digestHex,
  isDigest,
  isUploadId,
  type BlobInfo,
  type ByteRange,
  type Digest,
  type UploadId,
} from '../BlobStore.js';
import { checkedStorage, type CheckedOptions, type CheckedStorage } from '../checked.js';
import type { BlobDriver, StoredUpload } from '../driver.js';
import { BlobUnknown, RangeMismatch, UploadUnknown } from '../errors.js';
import { FileReadStream } from './read.js';
import { writeBatched } from './write.js';

/** Mode of blob and upload files (the process umask still applies). */
const FILE_MODE = 0o644;
/** Read chunk size: large reads keep a download's syscalls and stream events few. */
const READ_CHUNK = 1 << 20;
const TMP = '_tmp';
const SHARD = /^[0-9a-f]{2}$/;

/** Where an fs store lives, and the wrapper's injected sources. */
export interface FsBlobStoreOptions extends CheckedOptions {
  /** The data directory; `blobs/` and `uploads/` are created inside it. */
  readonly dataDir: string;
}

/**
 * Opens (creating as needed) the blob store of a data directory and removes the leftovers of puts
 * a crash interrupted.
 */
export async function openFsBlobStore(opts: FsBlobStoreOptions): Promise<CheckedStorage> {
  const driver = new FsBlobDriver(opts.dataDir);
  await driver.prepare();
  return checkedStorage(driver, opts);
}

function isErrno(e: unknown, ...codes: string[]): boolean {
  return e instanceof Error && codes.includes((e as NodeJS.ErrnoException).code ?? '');
}

/** Makes a rename or a new entry in `dir` durable. Filesystems that cannot sync a directory skip it. */
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    if (!isErrno(e, 'EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP', 'EBADF')) throw e;
  } finally {
    await fh?.close();
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (isErrno(e, 'ENOENT', 'ENOTDIR')) return [];
    throw e;
  }
}

/** Raw file I/O for `checked.ts`; see the layout above. */
export class FsBlobDriver implements BlobDriver {
  private readonly blobsDir: string;
  private readonly tmpDir: string;
  private readonly uploadsDir: string;

  constructor(dataDir: string) {
    this.blobsDir = join(dataDir, 'blobs');
    this.tmpDir = join(this.blobsDir, TMP);
    this.uploadsDir = join(dataDir, 'uploads');
  }

  /** Creates the directories and removes crash leftovers of interrupted puts. */
  async prepare(): Promise<void> {
    for (const alg of DIGEST_ALGORITHMS) await mkdir(join(this.blobsDir, alg), { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(this.uploadsDir, { recursive: true });
    for (const name of await readdir(this.tmpDir)) {
      await rm(join(this.tmpDir, name), { recursive: true, force: true });
    }
  }

  private blobPath(d: Digest): string {
    const hex = digestHex(d);
    return join(this.blobsDir, digestAlgorithm(d), hex.slice(0, 2), hex);
  }

  private uploadPath(id: UploadId): string {
    return join(this.uploadsDir, id);
  }

  /** Renames a fully written, verified and fsynced file into its blob path, durably. */
  private async publish(from: string, d: Digest): Promise<void> {
    const target = this.blobPath(d);
    const shard = dirname(target);
    await mkdir(shard, { recursive: true });
    await rename(from, target);
    await syncDir(shard);
  }

  async stat(d: Digest): Promise<BlobInfo | undefined> {
    try {
      const s = await stat(this.blobPath(d));
      return s.isFile() ? { digest: d, size: s.size } : undefined;
    } catch (e) {
      if (isErrno(e, 'ENOENT', 'ENOTDIR')) return undefined;
      throw e;
    }
  }

  async open(d: Digest, range?: ByteRange): Promise<Readable> {
    let fh: FileHandle;
    try {
      fh = await open(this.blobPath(d), 'r');
    } catch (e) {
      if (isErrno(e, 'ENOENT', 'ENOTDIR')) throw new BlobUnknown(d);
      throw e;
    }
    return new FileReadStream(fh, range);
  }

  async write(d: Digest, body: AsyncIterable<Buffer>, seal: () => void): Promise<void> {
    const tmp = join(this.tmpDir, randomUUID());
    const fh = await open(tmp, 'wx', FILE_MODE);
    let published = false;
    try {
      try {
        await writeBatched(fh, body, 0);
        seal();
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.publish(tmp, d);
      published = true;
    } finally {
      if (!published) await rm(tmp, { force: true });
    }
  }

  async delete(d: Digest): Promise<void> {
    try {
      await unlink(this.blobPath(d));
    } catch (e) {
      if (!isErrno(e, 'ENOENT', 'ENOTDIR')) throw e;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    for (const alg of DIGEST_ALGORITHMS) {
      const root = join(this.blobsDir, alg);
      for (const shard of await readdirOrEmpty(root)) {
        if (!SHARD.test(shard)) continue;
        for (const name of await readdirOrEmpty(join(root, shard))) {
          const d = `${alg}:${name}`;
          if (!isDigest(d) || !name.startsWith(shard)) continue;
          const info = await this.stat(d);
          if (info !== undefined) yield info;
        }
      }
    }
  }

  async createUpload(id: UploadId, at: number): Promise<void> {
    const fh = await open(this.uploadPath(id), 'wx', FILE_MODE);
    try {
      await fh.utimes(new Date(at), new Date(at));
    } finally {
      await fh.close();
    }
  }

  async uploadSize(id: UploadId): Promise<number | undefined> {
    try {
      return (await stat(this.uploadPath(id))).size;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
  }

  async appendUpload(id: UploadId, offset: number, body: AsyncIterable<Buffer>, at: number): Promise<number> {
    const path = this.uploadPath(id);
    let fh: FileHandle;
    try {
      fh = await open(path, 'r+');
    } catch (e) {
      if (isErrno(e, 'ENOENT')) throw new UploadUnknown(id);
      throw e;
    }
    try {
      const { size, ino } = await fh.stat();
      if (size !== offset) throw new RangeMismatch(id, offset, size);
      let written: number;
      try {
        written = await writeBatched(fh, body, offset);
        await fh.sync();
      } catch (e) {
        await fh.truncate(offset).catch(() => undefined);
        throw e;
      }
      await fh.utimes(new Date(at), new Date(at));
      // A session cancelled while this chunk streamed is gone: say so rather than succeed.
      const now = await stat(path).catch(() => undefined);
      if (now?.ino !== ino) throw new UploadUnknown(id);
      return offset + written;
    } finally {
      await fh.close();
    }
  }

  async readUpload(id: UploadId): Promise<Readable> {
    let fh: FileHandle;
    try {
      fh = await open(this.uploadPath(id), 'r');
    } catch (e) {
      if (isErrno(e, 'ENOENT')) throw new UploadUnknown(id);
      throw e;
    }
    return fh.createReadStream({ highWaterMark: READ_CHUNK });
  }

  async commitUpload(id: UploadId, d: Digest): Promise<void> {
    try {
      await this.publish(this.uploadPath(id), d);
    } catch (e) {
      if (isErrno(e, 'ENOENT') && (await this.uploadSize(id)) === undefined) throw new UploadUnknown(id);
      throw e;
    }
  }

  async deleteUpload(id: UploadId): Promise<boolean> {
    try {
      await unlink(this.uploadPath(id));
      return true;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return false;
      throw e;
    }
  }

  async *listUploads(): AsyncIterable<StoredUpload> {
    for (const name of await readdirOrEmpty(this.uploadsDir)) {
      if (!isUploadId(name)) continue;
      try {
        const s = await stat(this.uploadPath(name));
        // Whole milliseconds: the clock's unit (utimes goes through floating-point seconds).
        yield { id: name, size: s.size, touchedAt: Math.round(s.mtimeMs) };
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw e;
      }
    }
  }

  async temporaries(): Promise<string[]> {
    const staged = (await readdirOrEmpty(this.tmpDir)).map((n) => `blobs/${TMP}/${n}`);
    const sessions = (await readdirOrEmpty(this.uploadsDir)).map((n) => `uploads/${n}`);
    return [...staged, ...sessions];
  }
}
