import { useQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { PhoneNumber } from "@/lib/api/types";
import { metaKeys } from "@/lib/query-keys";

export async function getPhoneNumbers(accountId: string, wabaId: string): Promise<PhoneNumber[]> {
  const page = await unwrap(
    apiClient.GET("/api/meta/accounts/{account_id}/whatsapp-accounts/{waba_id}/phone-numbers", {
      params: { path: { account_id: accountId, waba_id: wabaId } },
    }),
  );
  return page.items;
}

export function usePhoneNumbers(accountId: string, wabaId: string | null) {
  return useQuery({
    queryKey: metaKeys.phoneNumbers(accountId, wabaId ?? ""),
    queryFn: () => getPhoneNumbers(accountId, wabaId ?? ""),
    enabled: wabaId !== null,
    staleTime: 0,
  });
}
