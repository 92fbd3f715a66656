#!/usr/bin/env node
// The `docker-credential-crossdock` credential helper (docker's `credHelpers`/`credsStore`). The
// package is built to dist/ by `npm ci` (the `prepare` script). Protocol answers, errors included,
// go to stdout, where docker and skopeo read them.
import { credentialHelperMain } from '../dist/cli/credentialHelper.js';

credentialHelperMain(process.argv.slice(2), process.stdin, process.stdout).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stdout.write(
      `docker-credential-crossdock: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
