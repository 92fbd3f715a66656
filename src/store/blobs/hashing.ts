/**
 * Hashing a blob off the main thread. Streaming a large blob in, the main thread reads the socket,
 * hashes and hands batches to the file writes; SHA-256 alone (~0.65 ms/MiB) is most of its work.
 * Here the bytes of a large body are copied (a plain `memmove`, ~0.05 ms/MiB) into 1 MiB slots
 * that are transferred, not copied, to one worker thread, which hashes them and hands them back,
 * while the main thread goes on reading: the two run on two cores. Still one pass over the data:
 * the chunks themselves go on to the driver untouched, and a stream holds at most
 * {@link MAX_POSTED} + 1 slots, never a whole blob. (Shared memory would save the transfers, but
 * V8 copies into a `SharedArrayBuffer` with a slow tear-free loop; measured, it cost a fifth of
 * what hashing costs.)
 *
 * A body that ends within its first slot (manifests, configs, small layers) never reaches the
 * worker: its bytes are hashed on the main thread when it ends, and a session whose hash started
 * there stays there (a hash's state cannot move between threads). If the worker fails, the states
 * it held fail: a put fails (the caller retries), and an upload session re-reads its bytes at
 * commit, as after a restart.
 *
 * Measured (256 MiB PATCHed by curl over loopback into a checked fs store, 2 shared cores, medians
 * of 5–6 interleaved runs): 490 vs 381 MB/s and 382 vs 363 MB/s against hashing inline while a
 * core was mostly free; no gain, and ~5% more CPU, when both cores were busy with other work. In
 * `npm run bench -- registry` the upload is mostly bound by the kernel filling fresh page-cache
 * pages (see `fs/write.ts`), where it changed nothing measurable.
 */
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { DigestAlgorithm } from './BlobStore.js';

/** Bytes per slot: a body that ends within one is hashed where it is. */
const SLOT_BYTES = 1 << 20;
/** Slots of one stream handed to the worker and not yet hashed; past this, `update` waits. */
const MAX_POSTED = 3;
/** Hashed slots kept for reuse by the process. */
const MAX_FREE_SLOTS = 16;

/**
 * The worker: a table of hash states by id, each message one step, answered in order. CommonJS
 * source evaluated as is, so it runs the same from `src/` under tsx and from `dist/`.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const states = new Map();
parentPort.on('message', (m) => {
  try {
    switch (m.op) {
      case 'new': states.set(m.id, createHash(m.algorithm)); break;
      case 'copy': states.set(m.id, states.get(m.from).copy()); break;
      case 'update': states.get(m.id).update(new Uint8Array(m.slot, 0, m.length)); parentPort.postMessage({ tag: m.tag, slot: m.slot }, [m.slot]); break;
      case 'digest': { const h = states.get(m.id); states.delete(m.id); parentPort.postMessage({ tag: m.tag, hex: h.digest('hex') }); break; }
      case 'free': states.delete(m.id); break;
    }
  } catch (e) {
    parentPort.postMessage({ tag: m.tag, error: String(e && e.message || e) });
  }
});
`;

type WorkerMessage =
  | { readonly op: 'new'; readonly id: number; readonly algorithm: DigestAlgorithm }
  | { readonly op: 'copy'; readonly id: number; readonly from: number }
  | {
      readonly op: 'update';
      readonly id: number;
      readonly slot: ArrayBuffer;
      readonly length: number;
      readonly tag: number;
    }
  | { readonly op: 'digest'; readonly id: number; readonly tag: number }
  | { readonly op: 'free'; readonly id: number };

interface WorkerReply {
  readonly tag?: number;
  readonly hex?: string;
  /** The slot of an `update`, handed back. */
  readonly slot?: ArrayBuffer;
  readonly error?: string;
}

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(e: Error): void;
}

/** The hash worker of the process: started on first use, and again after it died. */
class HashWorker {
  private worker: Worker | undefined;
  /** Bumped when a worker dies: states of an older generation are gone with it. */
  generation = 0;
  private nextId = 0;
  private nextTag = 0;
  private readonly pending = new Map<number, Pending>();

  private ensure(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], stdout: false, stderr: false });
    worker.unref(); // referenced only while a reply is awaited
    worker.on('message', (m: WorkerReply) => {
      if (m.tag === undefined) return;
      const p = this.pending.get(m.tag);
      if (p === undefined) return;
      this.settle(m.tag);
      if (m.error !== undefined) p.reject(new Error(`hash worker: ${m.error}`));
      else p.resolve(m);
    });
    const die = (e: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.generation++;
      const failed = [...this.pending.values()];
      this.pending.clear();
      worker.unref();
      for (const p of failed) p.reject(e);
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`hash worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(tag: number): void {
    this.pending.delete(tag);
    if (this.pending.size === 0) this.worker?.unref();
  }

  /** Starts a state in the worker; returns its id. */
  create(algorithm: DigestAlgorithm): number {
    const id = this.nextId++;
    this.post({ op: 'new', id, algorithm });
    return id;
  }

  copy(from: number): number {
    const id = this.nextId++;
    this.post({ op: 'copy', id, from });
    return id;
  }

  free(id: number): void {
    if (this.worker !== undefined) this.post({ op: 'free', id });
  }

  /** Sends a step that answers (transferring `transfer`); resolves with the answer. */
  ask(message: (tag: number) => WorkerMessage, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const tag = this.nextTag++;
    const answer = new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(tag, { resolve, reject });
    });
    if (this.pending.size === 1) this.ensure().ref();
    this.post(message(tag), transfer);
    return answer;
  }

  private post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
    this.ensure().postMessage(message, transfer);
  }

  /** Ends the worker as a crash would: the states it held are lost. */
  async stop(): Promise<void> {
    await this.worker?.terminate();
  }
}

const worker = new HashWorker();

/**
 * Ends the hash worker of the process, as a crash would (for tests of what survives that); the
 * next large body starts a new one.
 */
export function stopHashWorker(): Promise<void> {
  return worker.stop();
}

/** 1 MiB filled on the main thread, then lent to the worker to hash (its view then detaches). */
interface Slot {
  readonly memory: ArrayBuffer;
  readonly bytes: Buffer;
}

const freeSlots: ArrayBuffer[] = [];

function takeSlot(): Slot {
  const memory = freeSlots.pop() ?? new ArrayBuffer(SLOT_BYTES);
  return { memory, bytes: Buffer.from(memory) };
}

function giveSlot(memory: ArrayBuffer | undefined): void {
  if (memory?.byteLength === SLOT_BYTES && freeSlots.length < MAX_FREE_SLOTS) freeSlots.push(memory);
}

/**
 * A running digest whose state lives on the main thread or in the hash worker, decided by how
 * much arrives: see the module comment. Not safe for concurrent use; one stream at a time.
 */
export class Digester {
  /** The main-thread state, once this digest lives here. */
  private local: Hash | undefined;
  /** The worker's state id, once it lives there, and the worker generation that holds it. */
  private remote: { readonly id: number; readonly generation: number } | undefined;
  /** Bytes not yet hashed (copied in), while not `local`. */
  private slot: Slot | undefined;
  private filled = 0;
  /** Slots handed to the worker and not yet hashed, oldest first. */
  private readonly posted: Promise<unknown>[] = [];
  /** The first failure of a step in the worker; every later step rethrows it. */
  private failure: { readonly error: unknown } | undefined;

  constructor(
    readonly algorithm: DigestAlgorithm,
    from?: Hash | { readonly id: number; readonly generation: number },
  ) {
    if (from === undefined) return;
    if ('id' in from) this.remote = from;
    else this.local = from;
  }

  /**
   * Adds `chunk`. Returns a promise (to await before the next call) only when the worker is
   * {@link MAX_POSTED} slots behind this stream. The chunk may be reused once this returns.
   */
  update(chunk: Uint8Array): Promise<void> | undefined {
    if (this.local !== undefined) {
      this.local.update(chunk);
      return undefined;
    }
    let at = 0;
    while (at < chunk.length) {
      this.slot ??= takeSlot();
      const n = Math.min(chunk.length - at, SLOT_BYTES - this.filled);
      this.slot.bytes.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === SLOT_BYTES) this.post();
    }
    return this.posted.length > MAX_POSTED ? this.waitOne() : undefined;
  }

  private async waitOne(): Promise<void> {
    while (this.posted.length > MAX_POSTED) await this.posted.shift();
  }

  /** Hands the bytes of the current slot to the worker. */
  private post(): void {
    const slot = this.slot!;
    const length = this.filled;
    this.slot = undefined;
    this.filled = 0;
    if (this.remote === undefined) {
      this.remote = { id: worker.create(this.algorithm), generation: worker.generation };
    }
    const { id } = this.remote;
    const done = worker
      .ask((tag) => ({ op: 'update', id, slot: slot.memory, length, tag }), [slot.memory])
      .then(
        (reply) => giveSlot(reply.slot),
        (error: unknown) => void (this.failure ??= { error }),
      );
    this.posted.push(done);
  }

  /**
   * Ends the current step of the stream: bytes still held go to where the state lives (the main
   * thread decides now for a state that has not been anywhere yet), so nothing is held between
   * two chunks of an upload session.
   */
  private flush(): void {
    if (this.local !== undefined || this.slot === undefined) return;
    if (this.remote === undefined) {
      this.local = createHash(this.algorithm).update(this.slot.bytes.subarray(0, this.filled));
      giveSlot(this.slot.memory);
      this.slot = undefined;
      this.filled = 0;
      return;
    }
    this.post();
  }

  /** Waits until every byte given so far is hashed; throws if the worker lost the state. */
  async settle(): Promise<void> {
    this.flush();
    while (this.posted.length > 0) await this.posted.shift();
    if (this.failure !== undefined) throw this.failure.error;
    if (this.remote !== undefined && this.remote.generation !== worker.generation) {
      throw new Error('hash worker: the state was lost');
    }
  }

  /** An independent copy of the state as it is after every byte given so far. */
  async copy(): Promise<Digester> {
    await this.settle();
    if (this.local !== undefined) return new Digester(this.algorithm, this.local.copy());
    if (this.remote === undefined) return new Digester(this.algorithm); // nothing given yet
    return new Digester(this.algorithm, { id: worker.copy(this.remote!.id), generation: worker.generation });
  }

  /** `<algorithm>:<hex>` of every byte given; ends the state. */
  async digest(): Promise<string> {
    await this.settle();
    if (this.local !== undefined) return `${this.algorithm}:${this.local.digest('hex')}`;
    if (this.remote === undefined) return `${this.algorithm}:${createHash(this.algorithm).digest('hex')}`;
    const { id } = this.remote;
    this.remote = undefined;
    const { hex } = await worker.ask((tag) => ({ op: 'digest', id, tag }));
    return `${this.algorithm}:${hex!}`;
  }

  /** Drops the state (and its worker side) without a digest. */
  dispose(): void {
    if (this.slot !== undefined) giveSlot(this.slot.memory);
    this.slot = undefined;
    if (this.remote !== undefined && this.remote.generation === worker.generation)
      worker.free(this.remote.id);
    this.remote = undefined;
    this.local = undefined;
  }
}
