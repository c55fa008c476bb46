import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { InvitationAccept, InvitationPreview, TokenPair } from "@/lib/api/types";
import { setTokens } from "@/lib/auth";
import { inviteLinkKeys } from "@/lib/query-keys";

export function getInvitationPreview(token: string): Promise<InvitationPreview> {
  return unwrap(apiClient.GET("/api/invitations/{token}", { params: { path: { token } } }));
}

/** What an invitation link offers; a used, expired or unknown link answers with an ApiError. */
export function useInvitationPreview(token: string) {
  return useQuery({ queryKey: inviteLinkKeys.preview(token), queryFn: () => getInvitationPreview(token), retry: false });
}

export function acceptInvitation({ token, body }: { token: string; body: InvitationAccept }): Promise<TokenPair> {
  return unwrap(apiClient.POST("/api/invitations/{token}/accept", { params: { path: { token } }, body }));
}

/** Join and sign in as the new member (any previous session in this browser ends). */
export function useAcceptInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: acceptInvitation,
    onSuccess: (pair) => {
      queryClient.clear();
      setTokens(pair);
    },
  });
}
