/** Longest excerpt of user-supplied text (a name, a cell, a file's bytes) put into a message. */
export const MAX_EXCERPT = 40;

/** Longest one-line error message (the CLI contract: one line of at most this many characters). */
export const MAX_MESSAGE = 300;

/**
 * A short, printable, quoted excerpt of user text for an error message: control characters are
 * escaped, and anything past `max` characters is cut with "…" and the full length noted.
 *
 * @example
 * excerpt('a\nb'); // '"a\\nb"'
 */
export function excerpt(text: string, max = MAX_EXCERPT): string {
  const cut = [...text];
  const head = cut.length > max ? cut.slice(0, max).join('') : text;
  const json = JSON.stringify(head).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  return cut.length > max ? `${json.slice(0, -1)}…" (${cut.length} characters)` : json;
}

/** `message` as one line of at most `max` characters (newlines become spaces; the tail is cut). */
export function oneLine(message: string, max = MAX_MESSAGE): string {
  const flat = message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
