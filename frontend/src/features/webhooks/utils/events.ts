import type { WebhookDeliveryStatus, WebhookEventType } from "../api/types";

/** The events an endpoint can subscribe to, in the order the form lists them. */
export const WEBHOOK_EVENTS: { type: WebhookEventType; label: string; hint: string }[] = [
  { type: "message.created", label: "Message created", hint: "A customer's message arrives or your team sends one." },
  { type: "message.updated", label: "Message updated", hint: "A message is sent, delivered, read, fails, or gets a reaction." },
  { type: "conversation.updated", label: "Conversation updated", hint: "Status, assignee, labels or unread count change." },
];

export const DELIVERY_STATUSES: { value: WebhookDeliveryStatus; label: string }[] = [
  { value: "succeeded", label: "Succeeded" },
  { value: "failed", label: "Failed" },
  { value: "pending", label: "Pending" },
];

/** Problems the server reports about the URL itself (shown under the URL field). */
export const URL_ERROR_CODES = new Set([
  "invalid_url",
  "insecure_url",
  "credentials_in_url",
  "private_address",
  "unresolvable_host",
]);

/** What the form can tell before asking the server (which checks https and the address). */
export function urlProblem(url: string): string | null {
  const value = url.trim();
  if (value === "") return "Enter the URL that should receive the events.";
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return "Enter a full URL, like https://example.com/webhooks/parley.";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return "The URL must start with https://.";
  if (parsed.username !== "" || parsed.password !== "") return "Leave the user name and password out of the URL.";
  return null;
}
