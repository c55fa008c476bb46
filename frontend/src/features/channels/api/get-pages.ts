import { useQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { MetaPage } from "@/lib/api/types";
import { metaKeys } from "@/lib/query-keys";

export async function getPages(accountId: string): Promise<MetaPage[]> {
  const page = await unwrap(
    apiClient.GET("/api/meta/accounts/{account_id}/pages", { params: { path: { account_id: accountId } } }),
  );
  return page.items;
}

/** The Facebook Pages the signed-in Facebook user granted, with whether each can be connected. */
export function usePages(accountId: string) {
  return useQuery({ queryKey: metaKeys.pages(accountId), queryFn: () => getPages(accountId), staleTime: 0 });
}
