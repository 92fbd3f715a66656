/**
 * `WWW-Authenticate` challenges of registries: `Basic realm="..."` (ECR, crossdock, registries
 * with htpasswd) and `Bearer realm="...",service="...",scope="..."` (Docker's token protocol:
 * Docker Hub, ECR Public, distribution with token auth), with an `error="insufficient_scope"`
 * when a token lacks a scope.
 */

/** A challenge: its scheme (lowercased) and parameters (names lowercased). */
export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * The challenges of a header value, in order. Parameters may be quoted (with `\` escapes) or
 * bare tokens; a new scheme starts at a token not followed by `=`.
 */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: { scheme: string; params: Record<string, string> }[] = [];
  for (const value of values) {
    const re = /\s*,?\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*))?/gy;
    let m: RegExpExecArray | null;
    while ((m = re.exec(value)) !== null && m[0] !== '') {
      const token = m[1]!;
      if (m[2] === undefined) {
        out.push({ scheme: token.toLowerCase(), params: {} });
        continue;
      }
      const current = out[out.length - 1];
      if (current === undefined) break;
      const raw = m[2];
      current.params[token.toLowerCase()] = raw.startsWith('"')
        ? raw.slice(1, -1).replace(/\\(.)/g, '$1')
        : raw;
    }
  }
  return out;
}
