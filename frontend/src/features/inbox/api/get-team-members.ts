import { queryOptions, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";

import { apiClient, unwrap } from "@/lib/api/client";
import type { TeamMember } from "@/lib/api/types";
import { teamKeys } from "@/lib/query-keys";

export function getTeamMembers(): Promise<TeamMember[]> {
  return unwrap(apiClient.GET("/api/team/members"));
}

export const teamMembersQueryOptions = () =>
  queryOptions({ queryKey: teamKeys.members(), queryFn: getTeamMembers, staleTime: 5 * 60_000 });

/** The workspace's people by name (or email), with their roles; viewers cannot be assigned. */
export function useTeamMembers() {
  return useQuery(teamMembersQueryOptions());
}

/** Team members by id (empty until loaded). */
export function useTeamMemberMap(): ReadonlyMap<string, TeamMember> {
  const { data } = useTeamMembers();
  return useMemo(() => new Map((data ?? []).map((member) => [member.id, member])), [data]);
}

/** "Ada Lovelace", else the email. */
export function memberName(member: Pick<TeamMember, "name" | "email">): string {
  return member.name?.trim() || member.email;
}
