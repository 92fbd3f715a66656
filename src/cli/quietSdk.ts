/**
 * Imported first by every command entry point (`main.ts`, the credential helper): the AWS SDK v3
 * prints a NodeVersionSupportWarning on stderr when its first client is built on a Node.js line it
 * is about to drop (20 today), which crossdock still supports. The warning is about the SDK's
 * release plan, not about the command, and would interleave with every command's output (and a
 * credential helper's). The SDK's documented switch is this environment variable; it is read when
 * a client is built, so setting it before any command runs is enough. A value the user set wins.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The variable set above, for the tests that check the warning stays away. */
export const SDK_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
