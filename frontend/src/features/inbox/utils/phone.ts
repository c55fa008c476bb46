/**
 * What the server will surely refuse about a phone number typed to start a WhatsApp
 * conversation, said before sending; the server normalises to E.164 and checks the rest
 * (country code, length) with its own reason, shown under the field.
 */
export function phoneProblem(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed === "") return "Enter the customer's WhatsApp number.";
  if (/[A-Za-z]/.test(trimmed)) return "A phone number has digits only (no letters or extensions), e.g. +44 20 7946 0003.";
  const compact = trimmed.replace(/[\s\-.()/]/g, "");
  if (!compact.startsWith("+") && !compact.startsWith("00")) {
    return "Write the number in international format with its country code, e.g. +44 20 7946 0003.";
  }
  return null;
}
