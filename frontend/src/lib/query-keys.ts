/** One query-key factory per resource; every cache read and write goes through these. */

export const authKeys = {
  all: ["auth"] as const,
  me: () => [...authKeys.all, "me"] as const,
};

export const channelKeys = {
  all: ["channels"] as const,
  list: () => [...channelKeys.all, "list"] as const,
};

/** What a Facebook login (a Meta account) can see: pages, businesses, WABAs, numbers. */
export const metaKeys = {
  all: ["meta"] as const,
  account: (accountId: string) => [...metaKeys.all, accountId] as const,
  pages: (accountId: string) => [...metaKeys.account(accountId), "pages"] as const,
  businesses: (accountId: string) => [...metaKeys.account(accountId), "businesses"] as const,
  whatsappAccounts: (accountId: string, businessId: string) =>
    [...metaKeys.account(accountId), "businesses", businessId, "whatsapp-accounts"] as const,
  phoneNumbers: (accountId: string, wabaId: string) =>
    [...metaKeys.account(accountId), "whatsapp-accounts", wabaId, "phone-numbers"] as const,
};

export const conversationKeys = {
  all: ["conversations"] as const,
  lists: () => [...conversationKeys.all, "list"] as const,
  list: () => [...conversationKeys.lists(), { view: "all" }] as const,
  details: () => [...conversationKeys.all, "detail"] as const,
  detail: (conversationId: string) => [...conversationKeys.details(), conversationId] as const,
};

export const messageKeys = {
  all: ["messages"] as const,
  lists: () => [...messageKeys.all, "list"] as const,
  list: (conversationId: string) => [...messageKeys.lists(), conversationId] as const,
};

/** Short-lived presigned URLs of stored attachments (one per attachment). */
export const attachmentKeys = {
  all: ["attachments"] as const,
  url: (attachmentId: string) => [...attachmentKeys.all, attachmentId, "url"] as const,
};

export interface WebhookEventFilters {
  status: "received" | "processed" | "failed" | "dead" | null;
  channelId: string | null;
}

/** The operations page: webhook deliveries per channel and one by one (admins only). */
export const webhookKeys = {
  all: ["webhooks"] as const,
  channels: () => [...webhookKeys.all, "channels"] as const,
  eventLists: () => [...webhookKeys.all, "events"] as const,
  events: (filters: WebhookEventFilters) => [...webhookKeys.eventLists(), filters] as const,
};
