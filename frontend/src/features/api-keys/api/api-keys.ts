import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPage } from "@/lib/api/types";
import { apiKeyKeys, auditKeys } from "@/lib/query-keys";

export function getApiKeys(): Promise<ApiKeyPage> {
  return unwrap(apiClient.GET("/api/api-keys"));
}

export const apiKeysQueryOptions = () => queryOptions({ queryKey: apiKeyKeys.list(), queryFn: getApiKeys });

/** The workspace's keys, live ones first (admins; the API answers 403 to anyone else). */
export function useApiKeys() {
  return useQuery(apiKeysQueryOptions());
}

export function createApiKey(body: ApiKeyCreate): Promise<ApiKeyCreated> {
  return unwrap(apiClient.POST("/api/api-keys", { body }));
}

export function revokeApiKey(keyId: string): Promise<ApiKey> {
  return unwrap(apiClient.DELETE("/api/api-keys/{key_id}", { params: { path: { key_id: keyId } } }));
}

function useRefreshAfterChange() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: apiKeyKeys.all });
    // The change is in the audit log now.
    void queryClient.invalidateQueries({ queryKey: auditKeys.lists() });
  };
}

/** Creates a key; the answer's `secret` is the only time the whole key is ever shown. */
export function useCreateApiKey() {
  const refresh = useRefreshAfterChange();
  return useMutation({ mutationFn: createApiKey, onSuccess: refresh });
}

export function useRevokeApiKey() {
  const refresh = useRefreshAfterChange();
  return useMutation({ mutationFn: revokeApiKey, onSuccess: refresh });
}
