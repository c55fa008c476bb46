import { useQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { WhatsAppAccount } from "@/lib/api/types";
import { metaKeys } from "@/lib/query-keys";

export async function getWhatsAppAccounts(accountId: string, businessId: string): Promise<WhatsAppAccount[]> {
  const page = await unwrap(
    apiClient.GET("/api/meta/accounts/{account_id}/businesses/{business_id}/whatsapp-accounts", {
      params: { path: { account_id: accountId, business_id: businessId } },
    }),
  );
  return page.items;
}

/** The WhatsApp Business Accounts of one business (owned, or shared with it as a client). */
export function useWhatsAppAccounts(accountId: string, businessId: string | null) {
  return useQuery({
    queryKey: metaKeys.whatsappAccounts(accountId, businessId ?? ""),
    queryFn: () => getWhatsAppAccounts(accountId, businessId ?? ""),
    enabled: businessId !== null,
  });
}
