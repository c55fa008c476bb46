import { useMutation } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { AuthorizeRedirect, MetaProduct } from "@/lib/api/types";
import { leaveForUrl } from "@/utils/navigation";

export function getAuthorizeUrl(product: MetaProduct): Promise<AuthorizeRedirect> {
  return unwrap(
    apiClient.GET("/api/meta/login", {
      params: { query: { product } },
      // Without it the endpoint answers with the redirect itself, meant for a plain link.
      headers: { Accept: "application/json" },
    }),
  );
}

/** Sends the browser to Facebook's login dialog for Messenger Pages or WhatsApp numbers. */
export function useStartConnect() {
  return useMutation({
    mutationFn: async (product: MetaProduct) => {
      const { authorize_url } = await getAuthorizeUrl(product);
      leaveForUrl(authorize_url);
    },
  });
}
