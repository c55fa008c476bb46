/** The server's limits (api.inbox.filters): at most 20 labels of 32 characters. */
export const MAX_LABELS = 20;
const MAX_LABEL_LENGTH = 32;
const LABEL_PATTERN = /^[\p{L}\p{N}_-]+$/u;

/** `"  VIP  Customer "` → `"vip-customer"`, as the server stores it; or why it cannot be a label. */
export function normalizeLabel(value: string): { label: string } | { problem: string } {
  const label = value.trim().replace(/\s+/g, "-").toLowerCase();
  if (label === "") return { problem: "A label must not be empty." };
  if (label.length > MAX_LABEL_LENGTH) return { problem: `A label has at most ${MAX_LABEL_LENGTH} characters.` };
  if (!LABEL_PATTERN.test(label)) return { problem: "Use letters, digits, '-' and '_' only." };
  return { label };
}
