/**
 * A guard for `JSON.parse` on text from clients. V8 parses deeply nested arrays and objects in
 * time that grows faster than their length (4 MB of `[` takes seconds, 32 MB about a minute), all
 * of it on the event loop, so one request could stall every other. No AWS input or OCI manifest
 * nests anywhere near {@link MAX_JSON_DEPTH} levels; text that does is refused before parsing.
 */

/** The deepest nesting of objects and arrays crossdock parses from a client. */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON text nests objects and arrays deeper than `max`, in one pass without parsing:
 * brackets inside strings do not count. Malformed text is answered as it nests; `JSON.parse`
 * judges the rest.
 */
export function jsonNestsDeeperThan(text: string | Uint8Array, max: number = MAX_JSON_DEPTH): boolean {
  // One loop per representation: a per-character callback would cost ten times as much.
  let depth = 0;
  let inString = false;
  const n = text.length;
  if (typeof text === 'string') {
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (++depth > max) return true;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    }
    return false;
  }
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}
