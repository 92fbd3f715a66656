/**
 * `npx tsx bench/blobs.ts [--size MiB] [--runs N] [--dir DIR]`: throughput of the fs blob driver
 * (never part of `npm test`). Each figure is the median of N runs over a fresh data directory on
 * the filesystem of DIR (default: the OS temp dir), with a generated body in 64 KiB chunks (what a
 * socket hands over):
 * - put: `store.put` of SIZE bytes, hashed, written in batches, fsynced and renamed into place;
 * - naive pipe: the same body piped through a hashing Transform into `fs.createWriteStream`, then
 *   fsynced: the baseline the driver's batched writes have to beat;
 * - get: `store.open` of the blob, read and hashed;
 * - upload: the same bytes as four chunked appends and a commit (which uses the running hash).
 * A first, uncounted run warms up. Ends with one JSON line.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import type { Digest } from '../src/store/blobs/BlobStore.js';
import { openFsBlobStore } from '../src/store/blobs/fs/FsBlobStore.js';

const CHUNK = 64 * 1024;
const MiB = 1024 * 1024;

/** Bytes [from, to) of a deterministic body, as fresh 64 KiB buffers. */
function body(pool: Buffer, from: number, to: number): Readable {
  let at = from;
  return new Readable({
    read() {
      if (at >= to) return void this.push(null);
      const n = Math.min(CHUNK, to - at);
      const chunk = Buffer.allocUnsafe(n);
      pool.copy(chunk, 0, at % pool.length, (at % pool.length) + n);
      at += n;
      this.push(chunk);
    },
  });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function arg(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Runs the benchmark and prints its figures. */
export async function benchBlobs(args: readonly string[]): Promise<void> {
  const size = Number(arg(args, '--size') ?? 256) * MiB;
  const runs = Number(arg(args, '--runs') ?? 5);
  const base = arg(args, '--dir') ?? tmpdir();
  const pool = Buffer.alloc(4 * MiB);
  for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE((i * 2654435761) >>> 0, i);
  const hash = createHash('sha256');
  for await (const c of body(pool, 0, size)) hash.update(c as Buffer);
  const digest = `sha256:${hash.digest('hex')}` as Digest;

  const mbps = (seconds: number): number => Math.round(size / 1e6 / seconds);
  const results: Record<string, number[]> = { put: [], naive_pipe: [], get: [], upload: [] };
  // Run 0 warms up (JIT, page cache, first directory entries) and is not counted.
  for (let run = -1; run < runs; run++) {
    const dataDir = await mkdtemp(join(base, 'crossdock-bench-blobs-'));
    try {
      const { store, uploads } = await openFsBlobStore({ dataDir });
      const naivePipe = (): Promise<number> =>
        timed(async () => {
          const h = createHash('sha256');
          const file = join(dataDir, 'naive');
          const hashing = new Transform({
            transform(chunk: Buffer, _enc, done) {
              h.update(chunk);
              done(null, chunk);
            },
          });
          await pipeline(body(pool, 0, size), hashing, createWriteStream(file));
          const fh = await open(file, 'r+');
          await fh.sync();
          await fh.close();
          if (`sha256:${h.digest('hex')}` !== digest) throw new Error('naive pipe hashed wrong');
        });
      const putBlob = (): Promise<number> =>
        timed(async () => void (await store.put(digest, body(pool, 0, size))));
      // Alternate which of the two writes goes first: the first big write of a run pays for the
      // page cache it takes over.
      if (run % 2 !== 0) {
        results.put!.push(await putBlob());
        results.naive_pipe!.push(await naivePipe());
      } else {
        results.naive_pipe!.push(await naivePipe());
        results.put!.push(await putBlob());
      }
      results.get!.push(
        await timed(async () => {
          const h = createHash('sha256');
          for await (const c of await store.open(digest)) h.update(c as Buffer);
          if (`sha256:${h.digest('hex')}` !== digest) throw new Error('read back wrong bytes');
        }),
      );
      await store.delete(digest);
      results.upload!.push(
        await timed(async () => {
          const id = await uploads.create();
          const quarter = size / 4;
          for (let i = 0; i < 4; i++) {
            await uploads.append(id, body(pool, i * quarter, (i + 1) * quarter), { offset: i * quarter });
          }
          await uploads.commit(id, digest);
        }),
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  for (const seconds of Object.values(results)) seconds.shift(); // the warm-up run
  console.log(`fs blob driver, ${size / MiB} MiB, median of ${runs} runs, data under ${base}`);
  const line: Record<string, number | string> = { bench: 'blobs' };
  for (const [name, seconds] of Object.entries(results)) {
    const figure = mbps(median(seconds));
    const spread = seconds.map(mbps);
    console.log(
      `  ${name.padEnd(11)} ${String(figure).padStart(5)} MB/s   (runs in order: ${spread.join(', ')})`,
    );
    line[`${name}_mbps`] = figure;
  }
  console.log(JSON.stringify(line));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchBlobs(process.argv.slice(2));
}
