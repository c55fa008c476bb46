import { useQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { MetaBusiness } from "@/lib/api/types";
import { metaKeys } from "@/lib/query-keys";

export async function getBusinesses(accountId: string): Promise<MetaBusiness[]> {
  const page = await unwrap(
    apiClient.GET("/api/meta/accounts/{account_id}/businesses", { params: { path: { account_id: accountId } } }),
  );
  return page.items;
}

export function useBusinesses(accountId: string) {
  return useQuery({ queryKey: metaKeys.businesses(accountId), queryFn: () => getBusinesses(accountId) });
}
