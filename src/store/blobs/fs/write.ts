/**
 * Streaming a body into a file fast: chunks (≈64 KiB from a socket) are gathered into batches of
 * at least 1 MiB and written with one `writev` each while the next batch fills and is hashed, and
 * every 16 MiB an `fdatasync` starts in the background (unless one is still running), so the disk
 * drains while bytes still arrive instead of all at the final fsync.
 *
 * Measured here (256 MiB in 64 KiB chunks, hashed, fsync at the end; medians of 7, MB/s): a naive
 * `pipeline` into `fs.createWriteStream` ~800; 1 MiB batches written one after the other ~400
 * (reading and hashing stall while the disk writes); with one write in flight ~980; plus the
 * background fdatasync every 16 MiB ~1,200 (every 8/32/64 MiB: ~1,200/1,180/1,120; 4 MiB batches
 * were no better).
 *
 * Writes go one after the other on the handle, but up to {@link QUEUE_BYTES} of full batches may
 * wait their turn, so that the socket keeps being read while a write is slow: a write into page
 * cache pages the kernel must first get (on a VM, pages given back to the host fault in again)
 * costs from 0.1 to 0.7 s per 256 MiB, at random, and the reading side would otherwise stall on
 * every slow batch. At most QUEUE_BYTES plus two batches are held, whatever the size.
 */
import type { FileHandle } from 'node:fs/promises';

/** Bytes gathered before a `writev`. */
const BATCH_BYTES = 1 << 20;
/** Chunks gathered before a `writev` at most (IOV_MAX on Linux), for streams of tiny chunks. */
const BATCH_CHUNKS = 1024;
/** Bytes written between two background `fdatasync`s. */
const SYNC_BYTES = 16 << 20;
/**
 * Bytes of full batches that may wait for the write before them: reading (and hashing) and
 * writing each go at their own pace, rather than each batch waiting for the other side.
 */
const QUEUE_BYTES = 4 << 20;

/** Writes every buffer at `position`, going on after a short write. */
async function writeFully(fh: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  let remaining = rest.reduce((n, b) => n + b.length, 0);
  while (remaining > 0) {
    const { bytesWritten } = await fh.writev(rest, at);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    remaining -= bytesWritten;
    at += bytesWritten;
    if (remaining === 0) break;
    let skip = bytesWritten;
    let i = 0;
    while (skip >= rest[i]!.length) skip -= rest[i++]!.length;
    rest = [rest[i]!.subarray(skip), ...rest.slice(i + 1)];
  }
}

/**
 * Writes `body` into `fh` from `position` on and returns the number of bytes written; the caller
 * still fsyncs at the end. A failed background sync fails the write. When `body` throws, waits
 * for the write and sync in flight before rethrowing, so the caller may truncate or remove the
 * file safely.
 */
export async function writeBatched(
  fh: FileHandle,
  body: AsyncIterable<Buffer>,
  position: number,
): Promise<number> {
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let at = position;
  let syncedTo = position;
  /** The last write queued: each batch's write starts when the one before has ended. */
  let inFlight: Promise<void> = Promise.resolve();
  /** Writes queued and not ended, oldest first, with their sizes. */
  const queued: { done: Promise<void>; bytes: number }[] = [];
  let queuedBytes = 0;
  let syncing: Promise<void> = Promise.resolve();
  let syncBusy = false;
  // Kept until thrown: once a sync reported a write-back error, a later fsync may not.
  let syncFailed: { error: unknown } | undefined;
  const flush = async (): Promise<void> => {
    // One writev at a time on a handle, up to QUEUE_BYTES of them waiting their turn.
    while (queuedBytes >= QUEUE_BYTES) {
      const oldest = queued.shift()!;
      await oldest.done;
      queuedBytes -= oldest.bytes;
    }
    if (syncFailed !== undefined) throw syncFailed.error;
    // A sync still running (a slow or busy disk) is left alone rather than waited for.
    if (at - syncedTo >= SYNC_BYTES && !syncBusy) {
      syncedTo = at;
      syncBusy = true;
      syncing = fh.datasync().then(
        () => void (syncBusy = false),
        (error: unknown) => void ((syncBusy = false), (syncFailed ??= { error })),
      );
    }
    const buffers = batch;
    const where = at;
    const bytes = batchBytes;
    at += batchBytes;
    batch = [];
    batchBytes = 0;
    // After a failed write, the ones queued behind it fail with its error without writing.
    inFlight = inFlight.then(() => writeFully(fh, buffers, where));
    inFlight.catch(() => undefined); // surfaced by the next await of it
    queued.push({ done: inFlight, bytes });
    queuedBytes += bytes;
  };
  try {
    for await (const chunk of body) {
      if (chunk.length === 0) continue;
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= BATCH_BYTES || batch.length >= BATCH_CHUNKS) await flush();
    }
    if (batchBytes > 0) await flush();
  } catch (e) {
    await Promise.allSettled([inFlight, syncing]);
    throw e;
  }
  await inFlight;
  await syncing;
  if (syncFailed !== undefined) throw syncFailed.error;
  return at - position;
}
