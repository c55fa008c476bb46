/** Saved-reply shortcuts as the server keeps them (api.inbox.schemas.normalize_shortcut). */
const MAX_SHORTCUT_LENGTH = 32;
const SHORTCUT = /^[a-z0-9][a-z0-9_-]*$/;

/** `"/Thanks "` → `"thanks"`: what follows the slash typed in the composer. */
export function normalizeShortcut(value: string): string {
  return value.trim().replace(/^\//, "").toLowerCase();
}

/** Why this cannot be a shortcut; null when it can. */
export function shortcutProblem(value: string): string | null {
  const shortcut = normalizeShortcut(value);
  if (shortcut === "") return "Give it a shortcut.";
  if (shortcut.length > MAX_SHORTCUT_LENGTH) return `At most ${MAX_SHORTCUT_LENGTH} characters.`;
  if (!SHORTCUT.test(shortcut)) return "Use a-z, 0-9, '-' and '_' (starting with a letter or digit).";
  return null;
}
