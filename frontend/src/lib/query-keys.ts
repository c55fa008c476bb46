/** One query-key factory per resource; every cache read and write goes through these. */

export const authKeys = {
  all: ["auth"] as const,
  me: () => [...authKeys.all, "me"] as const,
};

export const channelKeys = {
  all: ["channels"] as const,
  list: () => [...channelKeys.all, "list"] as const,
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
