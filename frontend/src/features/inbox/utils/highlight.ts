/**
 * Marks the words of a search snippet that match what the agent typed, by the same rules as
 * the server's search (api/inbox/filters.py `search_query`): every term case-insensitively,
 * plain words of 3+ letters or digits also as the start of a longer word ("refun" marks
 * "refunded"), shorter or punctuated terms as whole tokens. The snippet is plain text from
 * the server; it is split into pieces for React to render, never parsed as HTML.
 */

const PUNCTUATION = ".,;:!?¿¡\"'()[]{}«»“”\u2018\u2019";
const MAX_TERMS = 8;
const MIN_PREFIX_LENGTH = 3;
const WORD_CHAR = "[\\p{L}\\p{N}]";

export interface SnippetPiece {
  text: string;
  hit: boolean;
}

function stripPunctuation(term: string): string {
  let start = 0;
  let end = term.length;
  while (start < end && PUNCTUATION.includes(term[start] as string)) start += 1;
  while (end > start && PUNCTUATION.includes(term[end - 1] as string)) end -= 1;
  return term.slice(start, end);
}

/** The terms of a search, as the server splits them. */
export function searchTerms(query: string): string[] {
  const terms = query
    .toLowerCase()
    .split(/\s+/)
    .map(stripPunctuation)
    .filter((term) => term !== "");
  return [...new Set(terms)].slice(0, MAX_TERMS);
}

function escapeRegExp(text: string): string {
  // Only syntax characters: in a "u" regular expression any other escape is an error.
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function termPattern(term: string): string {
  const prefix = term.length >= MIN_PREFIX_LENGTH && /^[\p{L}\p{N}]+$/u.test(term);
  return escapeRegExp(term) + (prefix ? `${WORD_CHAR}*` : `(?!${WORD_CHAR})`);
}

export function highlightSnippet(snippet: string, query: string): SnippetPiece[] {
  const terms = searchTerms(query).sort((a, b) => b.length - a.length);
  if (snippet === "") return [];
  if (terms.length === 0) return [{ text: snippet, hit: false }];
  const pattern = new RegExp(`(?<!${WORD_CHAR})(?:${terms.map(termPattern).join("|")})`, "giu");
  const pieces: SnippetPiece[] = [];
  let last = 0;
  for (const found of snippet.matchAll(pattern)) {
    const start = found.index;
    if (found[0] === "") continue;
    if (start > last) pieces.push({ text: snippet.slice(last, start), hit: false });
    pieces.push({ text: found[0], hit: true });
    last = start + found[0].length;
  }
  if (last < snippet.length) pieces.push({ text: snippet.slice(last), hit: false });
  return pieces;
}
