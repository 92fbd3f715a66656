import { execFile } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Where `--tls self-signed` keeps its certificate, so clients can trust it once across restarts. */
export function selfSignedPaths(dataDir: string): { certFile: string; keyFile: string } {
  return { certFile: join(dataDir, 'tls', 'cert.pem'), keyFile: join(dataDir, 'tls', 'key.pem') };
}

/**
 * Makes (once) a self-signed certificate for `localhost` and `127.0.0.1` (plus `*.localhost`,
 * for host-style registry names) with openssl, because docker and Kubernetes want https for
 * registries that are not on loopback. Node itself cannot create X.509 certificates.
 */
export async function ensureSelfSigned(
  dataDir: string,
  hosts: readonly string[] = [],
): Promise<{ certFile: string; keyFile: string }> {
  const paths = selfSignedPaths(dataDir);
  try {
    await Promise.all([access(paths.certFile), access(paths.keyFile)]);
    return paths;
  } catch {
    // not made yet
  }
  await mkdir(join(dataDir, 'tls'), { recursive: true, mode: 0o700 });
  const names = [
    'DNS:localhost',
    'DNS:*.localhost',
    'IP:127.0.0.1',
    ...hosts.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)),
  ];
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '825',
    '-subj',
    '/CN=crossdock',
    '-addext',
    `subjectAltName=${[...new Set(names)].join(',')}`,
    '-keyout',
    paths.keyFile,
    '-out',
    paths.certFile,
  ];
  await new Promise<void>((resolve, reject) => {
    execFile('openssl', args, (err, _out, stderr) => {
      if (err === null) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new Error(
          missing
            ? '--tls self-signed needs the openssl command (apt-get install openssl)'
            : `openssl failed: ${stderr.trim()}`,
        ),
      );
    });
  });
  return paths;
}
