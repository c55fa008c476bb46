import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { TemplatePage } from "@/lib/api/types";
import { templateKeys } from "@/lib/query-keys";

const PAGE_SIZE = 100;

/** The channel's APPROVED templates (the only ones Meta lets us send), by name. */
export function getTemplates(channelId: string, search: string): Promise<TemplatePage> {
  const query = { channel_id: channelId, status: "APPROVED", limit: PAGE_SIZE, ...(search === "" ? {} : { search }) };
  return unwrap(apiClient.GET("/api/templates", { params: { query } }));
}

export const templatesQueryOptions = (channelId: string, search: string) =>
  queryOptions({
    queryKey: templateKeys.list(channelId, search),
    queryFn: () => getTemplates(channelId, search),
    staleTime: 60_000,
  });

export function useTemplates(channelId: string | null, search: string) {
  return useQuery({
    ...templatesQueryOptions(channelId ?? "", search),
    enabled: channelId !== null,
    placeholderData: keepPreviousData,
  });
}
