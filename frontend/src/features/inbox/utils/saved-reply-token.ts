import type { SavedReply } from "@/lib/api/types";

const SHORTCUT_TOKEN = /^\/([a-z0-9_-]{0,32})$/i;

export interface SlashToken {
  /** Where the "/" is in the text. */
  start: number;
  /** What follows it up to the caret (lower case): the shortcut prefix. */
  prefix: string;
}

/**
 * The "/shortcut" being typed at the caret: a "/" at the start of a word (start of the
 * text or after white space) followed by shortcut characters only; null otherwise.
 */
export function slashToken(text: string, caret: number): SlashToken | null {
  let start = caret;
  while (start > 0 && !/\s/.test(text.charAt(start - 1))) start -= 1;
  const match = SHORTCUT_TOKEN.exec(text.slice(start, caret));
  if (match === null) return null;
  return { start, prefix: (match[1] ?? "").toLowerCase() };
}

/** The text with the token replaced by the saved reply, and where the caret goes after it. */
export function insertSavedReply(text: string, token: SlashToken, caret: number, reply: Pick<SavedReply, "text">): { text: string; caret: number } {
  const before = text.slice(0, token.start);
  const after = text.slice(caret);
  return { text: before + reply.text + after, caret: before.length + reply.text.length };
}
