import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { LoginBody, TokenPair } from "@/lib/api/types";
import { setTokens } from "@/lib/auth";

export function login(body: LoginBody): Promise<TokenPair> {
  return unwrap(apiClient.POST("/api/auth/login", { body }));
}

export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: login,
    onSuccess: (pair) => {
      // Nothing cached for a previous session may leak into this one.
      queryClient.clear();
      setTokens(pair);
    },
  });
}
