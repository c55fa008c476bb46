/** Outgoing webhook types, read off the generated schema by path. */
import type { paths } from "@/lib/api/schema";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;

type Endpoints = "/api/webhook-endpoints";
type Endpoint = "/api/webhook-endpoints/{endpoint_id}";

export type WebhookEndpointPage = JsonOf<paths[Endpoints]["get"]["responses"][200]>;
export type WebhookEndpoint = WebhookEndpointPage["items"][number];
export type WebhookEndpointCreate = JsonOf<paths[Endpoints]["post"]["requestBody"]>;
export type WebhookEndpointCreated = JsonOf<paths[Endpoints]["post"]["responses"][201]>;
export type WebhookEndpointUpdate = JsonOf<paths[Endpoint]["patch"]["requestBody"]>;
export type WebhookEventType = WebhookEndpoint["events"][number];
export type WebhookSecret = JsonOf<paths[`${Endpoint}/secret`]["get"]["responses"][200]>;
export type WebhookDeliveryPage = JsonOf<paths[`${Endpoint}/deliveries`]["get"]["responses"][200]>;
export type WebhookDelivery = WebhookDeliveryPage["items"][number];
export type WebhookDeliveryStatus = WebhookDelivery["status"];
export type WebhookDeliveryDetail = JsonOf<
  paths["/api/webhook-deliveries/{delivery_id}"]["get"]["responses"][200]
>;
