import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiClient, unwrap } from "@/lib/api/client";
import { toApiError } from "@/lib/api/errors";
import { auditKeys } from "@/lib/query-keys";

import type {
  WebhookDeliveryDetail,
  WebhookDeliveryPage,
  WebhookDeliveryStatus,
  WebhookEndpointCreate,
  WebhookEndpointCreated,
  WebhookEndpointPage,
  WebhookEndpointUpdate,
  WebhookEndpoint,
  WebhookSecret,
} from "./types";

const DELIVERY_PAGE = 25;
/** While something is still being sent, the list refreshes this often. */
const PENDING_REFRESH_MS = 3000;

export const webhookKeys = {
  all: ["webhooks"] as const,
  endpoints: () => [...webhookKeys.all, "endpoints"] as const,
  deliveries: (endpointId: string) => [...webhookKeys.all, "deliveries", endpointId] as const,
  deliveryList: (endpointId: string, status: WebhookDeliveryStatus | null) =>
    [...webhookKeys.deliveries(endpointId), "list", status] as const,
  delivery: (deliveryId: string) => [...webhookKeys.all, "delivery", deliveryId] as const,
};

const endpointPath = (id: string) => ({ params: { path: { endpoint_id: id } } });
const deliveryPath = (id: string) => ({ params: { path: { delivery_id: id } } });

export function getEndpoints(): Promise<WebhookEndpointPage> {
  return unwrap(apiClient.GET("/api/webhook-endpoints"));
}

/** The workspace's endpoints with their last delivery (admins; 403 for anyone else). */
export function useWebhookEndpoints() {
  return useQuery({
    queryKey: webhookKeys.endpoints(),
    queryFn: getEndpoints,
    refetchInterval: (query) =>
      query.state.data?.items.some((e) => e.last_delivery?.status === "pending") ? PENDING_REFRESH_MS : false,
  });
}

export function getDeliveries(
  endpointId: string,
  status: WebhookDeliveryStatus | null,
  cursor: string | null,
): Promise<WebhookDeliveryPage> {
  const query = { limit: DELIVERY_PAGE, ...(status === null ? {} : { status }), ...(cursor === null ? {} : { cursor }) };
  return unwrap(
    apiClient.GET("/api/webhook-endpoints/{endpoint_id}/deliveries", {
      params: { path: { endpoint_id: endpointId }, query },
    }),
  );
}

/** One endpoint's delivery log, newest first; refreshed while a delivery is pending. */
export function useWebhookDeliveries(endpointId: string, status: WebhookDeliveryStatus | null) {
  return useInfiniteQuery({
    queryKey: webhookKeys.deliveryList(endpointId, status),
    queryFn: ({ pageParam }) => getDeliveries(endpointId, status, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    refetchInterval: (query) =>
      query.state.data?.pages.some((p) => p.items.some((d) => d.status === "pending")) ? PENDING_REFRESH_MS : false,
  });
}

export function getDelivery(deliveryId: string): Promise<WebhookDeliveryDetail> {
  return unwrap(apiClient.GET("/api/webhook-deliveries/{delivery_id}", deliveryPath(deliveryId)));
}

/** A delivery with its request body and the receiver's answer. */
export function useWebhookDelivery(deliveryId: string | null) {
  return useQuery({
    queryKey: webhookKeys.delivery(deliveryId ?? ""),
    queryFn: () => getDelivery(deliveryId ?? ""),
    enabled: deliveryId !== null,
    refetchInterval: (query) => (query.state.data?.status === "pending" ? PENDING_REFRESH_MS : false),
  });
}

export function createEndpoint(body: WebhookEndpointCreate): Promise<WebhookEndpointCreated> {
  return unwrap(apiClient.POST("/api/webhook-endpoints", { body }));
}

export function updateEndpoint({ id, changes }: { id: string; changes: WebhookEndpointUpdate }): Promise<WebhookEndpoint> {
  return unwrap(apiClient.PATCH("/api/webhook-endpoints/{endpoint_id}", { ...endpointPath(id), body: changes }));
}

export async function deleteEndpoint(id: string): Promise<void> {
  const { response, error } = await apiClient.DELETE("/api/webhook-endpoints/{endpoint_id}", endpointPath(id));
  if (!response.ok) throw toApiError(response.status, error ?? null);
}

export function revealSecret(id: string): Promise<WebhookSecret> {
  return unwrap(apiClient.GET("/api/webhook-endpoints/{endpoint_id}/secret", endpointPath(id)));
}

export function rotateSecret(id: string): Promise<WebhookSecret> {
  return unwrap(apiClient.POST("/api/webhook-endpoints/{endpoint_id}/rotate-secret", endpointPath(id)));
}

export function sendTest(id: string): Promise<WebhookDeliveryDetail> {
  return unwrap(apiClient.POST("/api/webhook-endpoints/{endpoint_id}/test", endpointPath(id)));
}

export function resendDelivery(id: string): Promise<WebhookDeliveryDetail> {
  return unwrap(apiClient.POST("/api/webhook-deliveries/{delivery_id}/resend", deliveryPath(id)));
}

function useRefresh({ audited }: { audited: boolean }) {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: webhookKeys.all });
    // Endpoint changes, secret reveals and re-sends are in the audit log now.
    if (audited) void queryClient.invalidateQueries({ queryKey: auditKeys.lists() });
  };
}

export function useCreateEndpoint() {
  const refresh = useRefresh({ audited: true });
  return useMutation({ mutationFn: createEndpoint, onSuccess: refresh });
}

export function useUpdateEndpoint() {
  const refresh = useRefresh({ audited: true });
  return useMutation({ mutationFn: updateEndpoint, onSuccess: refresh });
}

export function useDeleteEndpoint() {
  const refresh = useRefresh({ audited: true });
  return useMutation({ mutationFn: deleteEndpoint, onSuccess: refresh });
}

export function useRevealSecret() {
  const refresh = useRefresh({ audited: true });
  return useMutation({ mutationFn: revealSecret, onSuccess: refresh });
}

export function useRotateSecret() {
  const refresh = useRefresh({ audited: true });
  return useMutation({ mutationFn: rotateSecret, onSuccess: refresh });
}

export function useSendTest() {
  const refresh = useRefresh({ audited: false });
  return useMutation({ mutationFn: sendTest, onSuccess: refresh });
}

export function useResendDelivery() {
  const refresh = useRefresh({ audited: true });
  return useMutation({ mutationFn: resendDelivery, onSuccess: refresh });
}
