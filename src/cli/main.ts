/**
 * The `crossdock` command line. This increment ships the policy engine only; the server arrives
 * with the next one, and until then every command says so instead of pretending.
 */
export async function main(args: string[]): Promise<number> {
  const cmd = args[0] ?? 'help';
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(
      'usage: crossdock <start|serve> ...\n\nOnly the IAM policy engine is built so far (src/iam/).',
    );
    return 0;
  }
  console.error(`crossdock: \`${cmd}\` is not available yet: this build contains only the IAM policy engine`);
  return 2;
}
