import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { teamMembersQueryOptions } from "@/features/inbox/api/get-team-members";
import { apiClient, unwrap } from "@/lib/api/client";
import { toApiError } from "@/lib/api/errors";
import type {
  Invitation,
  InvitationCreate,
  InvitationCreated,
  OwnershipTransferred,
  Role,
  TeamMember,
} from "@/lib/api/types";
import { authKeys, teamKeys } from "@/lib/query-keys";

/** The workspace's members (the same cached list the inbox uses for assignees). */
export function useMembers() {
  return useQuery(teamMembersQueryOptions());
}

export async function getInvitations(): Promise<Invitation[]> {
  return (await unwrap(apiClient.GET("/api/team/invitations"))).items;
}

/** Pending invitations: only for callers who manage the team (`enabled`). */
export function useInvitations(enabled: boolean) {
  return useQuery({ queryKey: teamKeys.invitations(), queryFn: getInvitations, enabled });
}

export function createInvitation(body: InvitationCreate): Promise<InvitationCreated> {
  return unwrap(apiClient.POST("/api/team/invitations", { body }));
}

export function revokeInvitation(id: string): Promise<Invitation> {
  return unwrap(apiClient.DELETE("/api/team/invitations/{invitation_id}", { params: { path: { invitation_id: id } } }));
}

export function changeRole({ userId, role }: { userId: string; role: Role }): Promise<TeamMember> {
  return unwrap(
    apiClient.PATCH("/api/team/members/{user_id}", { params: { path: { user_id: userId } }, body: { role } }),
  );
}

export async function removeMember(userId: string): Promise<void> {
  const { response, error } = await apiClient.DELETE("/api/team/members/{user_id}", {
    params: { path: { user_id: userId } },
  });
  if (!response.ok) throw toApiError(response.status, error ?? null);
}

export function transferOwnership(userId: string): Promise<OwnershipTransferred> {
  return unwrap(apiClient.POST("/api/team/transfer-ownership", { body: { user_id: userId } }));
}

/** After a change: the team's lists, and the caller's own permissions (their role may be what changed). */
function useRefreshTeam() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: teamKeys.all }),
      queryClient.invalidateQueries({ queryKey: authKeys.me() }),
    ]);
}

export function useCreateInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createInvitation,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: teamKeys.invitations() }),
  });
}

export function useRevokeInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: revokeInvitation,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: teamKeys.invitations() }),
  });
}

export function useChangeRole() {
  const refresh = useRefreshTeam();
  return useMutation({ mutationFn: changeRole, onSuccess: refresh });
}

export function useRemoveMember() {
  const refresh = useRefreshTeam();
  return useMutation({ mutationFn: removeMember, onSuccess: refresh });
}

export function useTransferOwnership() {
  const refresh = useRefreshTeam();
  return useMutation({ mutationFn: transferOwnership, onSuccess: refresh });
}
