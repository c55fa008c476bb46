import { useMutation } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { TenantDeletion, TenantDeletionAccepted } from "@/lib/api/types";

export function deleteWorkspace(body: TenantDeletion): Promise<TenantDeletionAccepted> {
  return unwrap(apiClient.DELETE("/api/tenant", { body }));
}

/** Deletes the whole workspace (owners; the exact name and the password are asked again). */
export function useDeleteWorkspace() {
  return useMutation({ mutationFn: deleteWorkspace });
}
