import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import type { TemplateParameters, TemplatePreview } from "@/lib/api/types";
import { templateKeys } from "@/lib/query-keys";

/** The template filled in with these parameters, and what the server finds wrong with them. */
export function previewTemplate(templateId: string, parameters: TemplateParameters): Promise<TemplatePreview> {
  return unwrap(
    apiClient.POST("/api/templates/{template_id}/preview", {
      params: { path: { template_id: templateId } },
      body: parameters,
    }),
  );
}

/** The live preview; `parameters` should already be debounced by the caller. */
export function useTemplatePreview(templateId: string | null, parameters: TemplateParameters) {
  return useQuery({
    queryKey: templateKeys.preview(templateId ?? "", parameters),
    queryFn: () => previewTemplate(templateId ?? "", parameters),
    enabled: templateId !== null,
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    gcTime: 60_000,
  });
}
