// Replication latency: push → visible in the destination, on this machine. A crossdock server runs
// in this process (its replication worker as in production: woken by the push, one per process);
// account A replicates `bench/*` to account B (same region, B's registry policy allows A) and to its
// own us-west-2 registry. Each round pushes a fresh small image (two 4 KiB layers) through the ECR
// API (PutImage) and polls BatchGetImage in both destinations until the image is there.
// Figures: per destination, from PutImage's answer to the first poll that sees the image.
import { performance } from 'node:perf_hooks';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  PutImageCommand,
  PutRegistryPolicyCommand,
  PutReplicationConfigurationCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { ecrClient, makeImage, pushBlobApi } from '../test/helpers/ecr.js';
import { startServer } from '../test/helpers/server.js';

const A = '111111111111';
const B = '222222222222';
const WEST = 'us-west-2';

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function visible(client: ECRClient, digest: string, limitMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    const r = await client.send(
      new BatchGetImageCommand({ repositoryName: 'bench/app', imageIds: [{ imageDigest: digest }] }),
    );
    if ((r.images ?? []).length > 0) return performance.now();
    if (performance.now() - start > limitMs)
      throw new Error(`image ${digest} not replicated in ${limitMs} ms`);
    // A short pause, so that the pollers do not starve the worker of the event loop they share.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** `npm run bench -- replication [rounds]`. */
export async function benchReplication(args: readonly string[]): Promise<void> {
  const rounds = Number(args[0] ?? 50);
  const t = await startServer();
  try {
    const a = await t.createAccount('source', A);
    const b = await t.createAccount('destination', B);
    const ecrA = ecrClient(t.endpoint, a);
    const ecrB = ecrClient(t.endpoint, b);
    const ecrWest = ecrClient(t.endpoint, a, WEST);
    await ecrB.send(
      new PutRegistryPolicyCommand({
        policyText: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${A}:root` },
              Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
              Resource: `arn:aws:ecr:us-east-1:${B}:repository/*`,
            },
          ],
        }),
      }),
    );
    await ecrA.send(
      new PutReplicationConfigurationCommand({
        replicationConfiguration: {
          rules: [
            {
              destinations: [
                { region: 'us-east-1', registryId: B },
                { region: WEST, registryId: A },
              ],
              repositoryFilters: [{ filter: 'bench', filterType: 'PREFIX_MATCH' }],
            },
          ],
        },
      }),
    );
    await ecrA.send(new CreateRepositoryCommand({ repositoryName: 'bench/app' }));
    const cross: number[] = [];
    const region: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const image = makeImage([4096, 4096]);
      for (const blob of [...image.layers, image.config]) await pushBlobApi(ecrA, 'bench/app', blob);
      await ecrA.send(
        new PutImageCommand({
          repositoryName: 'bench/app',
          imageManifest: image.manifest,
          imageManifestMediaType: image.mediaType,
          imageTag: `r${i}`,
        }),
      );
      const pushed = performance.now();
      const [atB, atWest] = await Promise.all([
        visible(ecrB, image.digest, 30_000),
        visible(ecrWest, image.digest, 30_000),
      ]);
      cross.push(atB - pushed);
      region.push(atWest - pushed);
    }
    const summary = (xs: number[]) => {
      const s = [...xs].sort((x, y) => x - y);
      return {
        p50: +quantile(s, 0.5).toFixed(2),
        p95: +quantile(s, 0.95).toFixed(2),
        max: +s[s.length - 1]!.toFixed(2),
      };
    };
    const result = { rounds, crossAccountMs: summary(cross), crossRegionMs: summary(region) };
    console.log(`replication latency over ${rounds} pushes (PutImage answered → BatchGetImage sees it):`);
    console.log(
      `  cross-account (B, us-east-1): p50 ${result.crossAccountMs.p50} ms, p95 ${result.crossAccountMs.p95} ms, max ${result.crossAccountMs.max} ms`,
    );
    console.log(
      `  cross-region (A, us-west-2):  p50 ${result.crossRegionMs.p50} ms, p95 ${result.crossRegionMs.p95} ms, max ${result.crossRegionMs.max} ms`,
    );
    console.log(JSON.stringify({ bench: 'replication', ...result }));
  } finally {
    await t.stop();
  }
}
