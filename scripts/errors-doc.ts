// Renders docs/errors.md from the code tables themselves: the AWS error catalogue per service
// (code → HTTP status, fault), the OCI code table (code → status, default message) and the one
// mapper from the ECR service's codes to OCI codes. `npx tsx scripts/errors-doc.ts` rewrites the
// file; test/docs.test.ts fails when the file and the tables disagree.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AWS_ERRORS, type AwsService } from '../src/api/protocol/errors.js';
import { BY_CODE, OCI } from '../src/registry/errors.js';

/** Where the rendered catalogue lives. */
export const ERRORS_DOC = fileURLToPath(new URL('../docs/errors.md', import.meta.url));

const SERVICES: readonly { id: AwsService; title: string; protocol: string }[] = [
  { id: 'ecr', title: 'Amazon ECR', protocol: 'awsJson1_1: `{"__type": code, "message"}`' },
  { id: 'ecr-public', title: 'Amazon ECR Public', protocol: 'awsJson1_1' },
  { id: 'organizations', title: 'AWS Organizations', protocol: 'awsJson1_1' },
  {
    id: 'secretsmanager',
    title: 'AWS Secrets Manager',
    protocol: 'awsJson1_1: `{"__type": code, "Message"}`',
  },
  {
    id: 'iam',
    title: 'IAM',
    protocol: 'awsQuery: `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code>`',
  },
  { id: 'sts', title: 'STS', protocol: 'awsQuery' },
];

const sorted = <T>(o: Record<string, T>): [string, T][] =>
  Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The whole of docs/errors.md. */
export function renderErrorsDoc(): string {
  const out: string[] = [
    '# Errors',
    '',
    'Generated from the code tables by `npx tsx scripts/errors-doc.ts`; `test/docs.test.ts` keeps',
    'this file, the tables and the mappers in step. Handlers never pick a status: each code is',
    "bound to one here. Messages are AWS's (or distribution's) wording; see the sources in",
    '`src/api/protocol/errors.ts`, `src/services/ecr/errors.ts` and `src/registry/errors.ts`.',
    '',
  ];
  for (const s of SERVICES) {
    out.push(`## ${s.title} (${s.protocol})`, '', '| Code | HTTP status | Fault |', '|---|---|---|');
    for (const [code, spec] of sorted(AWS_ERRORS[s.id]))
      out.push(`| \`${code}\` | ${spec.status} | ${spec.fault} |`);
    out.push('');
  }
  out.push(
    '## OCI registry (`/v2/`: `{"errors":[{"code","message","detail"}]}`)',
    '',
    '| Code | HTTP status | Default message |',
    '|---|---|---|',
  );
  for (const [code, spec] of sorted(OCI)) out.push(`| \`${code}\` | ${spec.status} | ${spec.message} |`);
  out.push(
    '',
    '`SIZE_INVALID` answers 413 for a manifest over the size limit, and `UNSUPPORTED` 404 for a path',
    'that names no endpoint; a 401 carries `WWW-Authenticate: Basic realm=...`.',
    '',
    '## From the ECR service to OCI',
    '',
    'What a registry request answers when the ECR service (or the blob store) refuses it. "ECR\'s',
    'message" means the service\'s sentence reaches the client unchanged (a denial carries the IAM',
    'sentence); otherwise the OCI default message is sent. `input` is the invalid-input code of the',
    "request's family (e.g. `MANIFEST_INVALID` for a manifest PUT), `range` is `RANGE_INVALID` (416).",
    '',
    '| Service code | OCI code | Message |',
    '|---|---|---|',
  );
  for (const [code, m] of sorted(BY_CODE))
    out.push(`| \`${code}\` | \`${m.code}\` | ${m.keep ? "ECR's message" : 'OCI default'} |`);
  out.push('');
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeFileSync(ERRORS_DOC, renderErrorsDoc());
