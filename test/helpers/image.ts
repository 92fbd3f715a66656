// Builds small OCI image layouts on disk for registry tests (skopeo reads them as `oci:DIR:TAG`):
// real gzip'd tar layers, a config whose diff_ids match, a manifest and the index.json naming the tag.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** A layout ready for `skopeo copy oci:<dir>:<tag> ...`. */
export interface OciLayout {
  readonly dir: string;
  readonly tag: string;
  readonly manifestDigest: string;
  readonly layerDigests: readonly string[];
  readonly configDigest: string;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Writes a one-platform image with one layer per entry of `files` (file name → content). */
export async function makeOciLayout(
  files: readonly Record<string, string>[],
  tag = 'v1',
): Promise<OciLayout> {
  const dir = await mkdtemp(join(tmpdir(), 'crossdock-img-'));
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (b: Buffer) => {
    const d = sha256(b);
    await writeFile(join(blobs, d), b);
    return { digest: `sha256:${d}`, size: b.length };
  };
  const layers: { digest: string; size: number; diffId: string }[] = [];
  for (const [i, content] of files.entries()) {
    const root = join(dir, `root${i}`);
    await mkdir(root);
    for (const [name, text] of Object.entries(content)) await writeFile(join(root, name), text);
    execFileSync('tar', ['-C', root, '-czf', join(dir, `layer${i}.tgz`), ...Object.keys(content)]);
    const tgz = await readFile(join(dir, `layer${i}.tgz`));
    const { digest, size } = await put(tgz);
    layers.push({ digest, size, diffId: `sha256:${sha256(gunzipSync(tgz))}` });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      config: {},
    }),
  );
  const c = await put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: c.digest, size: c.size },
      layers: layers.map((l) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: l.digest,
        size: l.size,
      })),
    }),
  );
  const m = await put(manifest);
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: m.digest,
          size: m.size,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return {
    dir,
    tag,
    manifestDigest: m.digest,
    layerDigests: layers.map((l) => l.digest),
    configDigest: c.digest,
  };
}
