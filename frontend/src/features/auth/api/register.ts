import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { RegisterBody, TokenPair } from "@/lib/api/types";
import { setTokens } from "@/lib/auth";

export function register(body: RegisterBody): Promise<TokenPair> {
  return unwrap(apiClient.POST("/api/auth/register", { body }));
}

export function useRegister() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: register,
    onSuccess: (pair) => {
      queryClient.clear();
      setTokens(pair);
    },
  });
}
