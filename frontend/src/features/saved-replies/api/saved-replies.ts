import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import { toApiError } from "@/lib/api/errors";
import type { SavedReply, SavedReplyCreate, SavedReplyPage, SavedReplyUpdate } from "@/lib/api/types";
import { savedReplyKeys } from "@/lib/query-keys";

const SUGGESTIONS = 8;
const PAGE_SIZE = 100;

export function getSavedReplies(prefix: string, { limit, cursor }: { limit: number; cursor?: string | null }): Promise<SavedReplyPage> {
  const query = { limit, ...(prefix === "" ? {} : { q: prefix }), ...(cursor == null ? {} : { cursor }) };
  return unwrap(apiClient.GET("/api/inbox/saved-replies", { params: { query } }));
}

/** The composer's `/shortcut` suggestions: saved replies whose shortcut starts with `prefix`. */
export function useSavedReplySuggestions(prefix: string | null) {
  return useQuery({
    queryKey: [...savedReplyKeys.list(prefix ?? ""), "suggestions"],
    queryFn: () => getSavedReplies(prefix ?? "", { limit: SUGGESTIONS }),
    enabled: prefix !== null,
    select: (page) => page.items,
    staleTime: 30_000,
    placeholderData: keepPreviousData,
  });
}

/** Every saved reply, by shortcut (the settings page). */
export function useSavedReplies() {
  return useInfiniteQuery({
    queryKey: savedReplyKeys.list(""),
    queryFn: ({ pageParam }) => getSavedReplies("", { limit: PAGE_SIZE, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function createSavedReply(body: SavedReplyCreate): Promise<SavedReply> {
  return unwrap(apiClient.POST("/api/inbox/saved-replies", { body }));
}

export function updateSavedReply({ id, changes }: { id: string; changes: SavedReplyUpdate }): Promise<SavedReply> {
  return unwrap(
    apiClient.PATCH("/api/inbox/saved-replies/{reply_id}", { params: { path: { reply_id: id } }, body: changes }),
  );
}

export async function deleteSavedReply(id: string): Promise<void> {
  const { response, error } = await apiClient.DELETE("/api/inbox/saved-replies/{reply_id}", {
    params: { path: { reply_id: id } },
  });
  if (!response.ok) throw toApiError(response.status, error ?? null);
}

function useInvalidateSavedReplies() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: savedReplyKeys.all });
}

export function useCreateSavedReply() {
  const invalidate = useInvalidateSavedReplies();
  return useMutation({ mutationFn: createSavedReply, onSuccess: invalidate });
}

export function useUpdateSavedReply() {
  const invalidate = useInvalidateSavedReplies();
  return useMutation({ mutationFn: updateSavedReply, onSuccess: invalidate });
}

export function useDeleteSavedReply() {
  const invalidate = useInvalidateSavedReplies();
  return useMutation({ mutationFn: deleteSavedReply, onSuccess: invalidate });
}
