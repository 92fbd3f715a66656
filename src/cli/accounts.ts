import { parseArgs } from 'node:util';
import { CROSSDOCK_TARGET_PREFIX } from '../api/crossdock/index.js';
import { CallError, callJson } from './signedCall.js';

const USAGE = `usage: crossdock accounts create --endpoint URL --alias NAME [--account-id 12DIGITS]

Creates a member account in the organization of the calling (management) account and prints
{"AccountId","Alias","AccessKeyId","SecretAccessKey"}: the new account's root access key.
Credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID..., AWS_PROFILE, ...).`;

/** `crossdock accounts ...`. */
export async function accountsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create') {
    console.error(USAGE);
    return sub === undefined || sub === '--help' ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      endpoint: { type: 'string' },
      alias: { type: 'string' },
      'account-id': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.endpoint === undefined || values.alias === undefined) {
    console.error(USAGE);
    return 2;
  }
  if (values['account-id'] !== undefined && !/^\d{12}$/.test(values['account-id'])) {
    console.error(`crossdock: --account-id must be 12 digits, got \`${values['account-id']}\``);
    return 2;
  }
  try {
    const out = await callJson(values.endpoint, {
      target: `${CROSSDOCK_TARGET_PREFIX}.CreateAccount`,
      signingName: 'crossdock',
      body: {
        Alias: values.alias,
        ...(values['account-id'] !== undefined && { AccountId: values['account-id'] }),
      },
    });
    const c = out.Credentials as
      { AccountId: string; AccessKeyId: string; SecretAccessKey: string } | undefined;
    if (c === undefined) throw new CallError('InvalidResponse', 'the server returned no credentials', 500);
    console.log(
      JSON.stringify({
        AccountId: c.AccountId,
        Alias: values.alias,
        AccessKeyId: c.AccessKeyId,
        SecretAccessKey: c.SecretAccessKey,
      }),
    );
    return 0;
  } catch (err) {
    if (err instanceof CallError) {
      console.error(`crossdock: ${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
