/**
 * `npm run bench -- sigv4`: SigV4-verified requests per second over loopback. The server runs in
 * its own process (as `crossdock serve` does, logging each request at the default level); this
 * process replays 2,000 pre-signed, distinct `sts:GetCallerIdentity` requests (a header numbers
 * them, so no two signatures are alike) over 16 keep-alive connections for 5 s after a 1 s warm-up.
 * Every request is fully verified: credential lookup, canonical request, signature, constant-time
 * compare. Latency is measured per request from write to last byte.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../src/cli/signedCall.js';

const CONNECTIONS = 16;
const WARMUP_MS = 1000;
const DURATION_MS = 5000;
const DISTINCT = 2000;

interface Prepared {
  readonly headers: Record<string, string>;
  readonly body: string;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function benchSigv4(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'crossdock-bench-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/sprof'] : []),
      '--import',
      'tsx',
      'bench/serverProcess.ts',
      String(port),
      dataDir,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  try {
    const creds = JSON.parse(await readFile(join(dataDir, 'management-credentials.json'), 'utf8')) as Record<
      string,
      string
    >;
    const signer = new SignatureV4({
      credentials: { accessKeyId: creds.AccessKeyId!, secretAccessKey: creds.SecretAccessKey! },
      region: 'us-east-1',
      service: 'sts',
      sha256: NodeSha256,
    });
    const body = 'Action=GetCallerIdentity&Version=2011-06-15';
    const prepared: Prepared[] = [];
    for (let i = 0; i < DISTINCT; i++) {
      const signed = await signer.sign({
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port,
        path: '/',
        headers: {
          host: `127.0.0.1:${port}`,
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          'x-bench-n': String(i),
        },
        body,
      });
      prepared.push({
        headers: { ...(signed.headers as Record<string, string>), 'content-length': String(body.length) },
        body,
      });
    }

    const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const one = (p: Prepared) =>
      new Promise<number>((resolve, reject) => {
        const started = process.hrtime.bigint();
        const req = request(
          { host: '127.0.0.1', port, method: 'POST', path: '/', headers: p.headers, agent },
          (res) => {
            if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
            res.resume();
            res.on('end', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
          },
        );
        req.on('error', reject);
        req.end(p.body);
      });

    let n = 0;
    const latencies: number[] = [];
    let recording = false;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const ms = await one(prepared[n++ % DISTINCT]!);
        if (recording) latencies.push(ms);
      }
    };
    const workers = Array.from({ length: CONNECTIONS }, worker);
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    recording = true;
    const t0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, DURATION_MS));
    stop = true;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await Promise.all(workers);
    agent.destroy();

    latencies.sort((a, b) => a - b);
    const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
    const perS = Math.round(latencies.length / seconds);
    console.log(
      `sigv4 bench: GetCallerIdentity, ${CONNECTIONS} keep-alive connections, ${DURATION_MS / 1000} s, server in its own process`,
    );
    console.log(`verified requests/s   ${perS.toLocaleString('en-US')}`);
    console.log(`latency               p50 ${q(0.5).toFixed(2)} ms  p99 ${q(0.99).toFixed(2)} ms`);
    console.log(
      JSON.stringify({ bench: 'sigv4', requests_per_s: perS, p99_ms: Math.round(q(0.99) * 100) / 100 }),
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  }
}
