import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { TemplateSync } from "@/lib/api/types";
import { templateKeys } from "@/lib/query-keys";

/** Fetches the number's templates from Meta now (a template approved a minute ago). */
export function syncTemplates(channelId: string): Promise<TemplateSync> {
  return unwrap(
    apiClient.POST("/api/channels/{channel_id}/templates/sync", {
      params: { path: { channel_id: channelId } },
    }),
  );
}

export function useSyncTemplates() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: syncTemplates,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: templateKeys.lists() }),
  });
}
