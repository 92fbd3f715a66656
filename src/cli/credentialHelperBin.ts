/**
 * `docker-credential-crossdock` run from the sources (`node --import tsx
 * src/cli/credentialHelperBin.ts get`), as tests put it on PATH without a build; the installed
 * command is `bin/docker-credential-crossdock.js`, which runs the built copy the same way.
 */
import './quietSdk.js';
import { credentialHelperMain } from './credentialHelper.js';

process.exitCode = await credentialHelperMain(process.argv.slice(2), process.stdin, process.stdout);
