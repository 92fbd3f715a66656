import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Reads a 32-byte key file of the data directory, creating it (mode 0600, exclusively, so two
 * starting processes cannot each write their own) on first start. Used for the registry token key
 * (`token.key`); secret access keys have their own key (`secret.key`, see store/meta/secrets.ts).
 */
export async function loadOrCreateKey(dataDir: string, name: string): Promise<Buffer> {
  const file = join(dataDir, name);
  try {
    const fh = await open(file, 'wx', 0o600);
    try {
      await fh.writeFile(randomBytes(32));
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const s = await stat(file);
  if ((s.mode & 0o077) !== 0) await chmod(file, 0o600);
  const key = await readFile(file);
  if (key.length !== 32) throw new Error(`${file} must hold 32 bytes, it holds ${key.length}`);
  return key;
}
