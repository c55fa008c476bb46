import { History, RotateCcw } from "lucide-react";
import { useId, useState, type ReactNode } from "react";

import { CopyButton } from "@/components/copy-field";
import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { Label } from "@/components/ui/label";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api/errors";
import { agoLabel, dateTimeLabel, formatDuration } from "@/utils/format";

import type { WebhookDelivery, WebhookDeliveryDetail, WebhookDeliveryStatus, WebhookEndpoint } from "../api/types";
import { useResendDelivery, useWebhookDeliveries, useWebhookDelivery } from "../api/webhooks";
import { DELIVERY_STATUSES } from "../utils/events";
import { DeliveryStatusBadge } from "./delivery-status-badge";

/** The body as sent, laid out for reading (the signature covers the compact original). */
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid gap-0.5">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="text-sm">{children}</dd>
    </div>
  );
}

function DeliveryFacts({ delivery }: { delivery: WebhookDeliveryDetail }) {
  return (
    <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3" data-testid="delivery-facts">
      <Field label="Status">
        <DeliveryStatusBadge status={delivery.status} />
      </Field>
      <Field label="Event">
        <span className="font-mono">{delivery.event_type}</span>
      </Field>
      <Field label="Response">
        <span data-testid="delivery-response-status">{delivery.response_status ?? "—"}</span>
      </Field>
      <Field label="Attempts">{delivery.attempts}</Field>
      <Field label="Last attempt">{delivery.last_attempt_at === null ? "—" : dateTimeLabel(delivery.last_attempt_at)}</Field>
      <Field label={delivery.status === "pending" ? "Next attempt" : "Took"}>
        {delivery.status === "pending"
          ? delivery.next_attempt_at === null
            ? "—"
            : dateTimeLabel(delivery.next_attempt_at)
          : formatDuration(delivery.duration_ms)}
      </Field>
    </dl>
  );
}

/** One delivery: what was sent, what came back, and "Resend" (a new delivery, same event). */
function DeliveryDetail({ deliveryId, onResent }: { deliveryId: string; onResent: (id: string) => void }) {
  const delivery = useWebhookDelivery(deliveryId);
  const resend = useResendDelivery();
  if (delivery.isPending) {
    return (
      <div className="flex justify-center py-8">
        <Spinner className="size-6" label="Loading the delivery" />
      </div>
    );
  }
  if (delivery.isError) {
    return (
      <Alert variant="destructive">
        <AlertDescription>{errorMessage(delivery.error)}</AlertDescription>
      </Alert>
    );
  }
  const data = delivery.data;
  return (
    <div className="grid min-w-0 gap-4" data-testid="delivery-detail" data-delivery-id={data.id}>
      <DeliveryFacts delivery={data} />
      {data.error !== null && (
        <Alert variant={data.status === "failed" ? "destructive" : "warning"} data-testid="delivery-error">
          <AlertDescription>{data.error}</AlertDescription>
        </Alert>
      )}
      <section className="grid gap-1.5">
        <div className="flex items-center justify-between gap-2">
          <h3 className="text-sm font-semibold">Request body</h3>
          <CopyButton text={data.request_body} label="Copy the request body" />
        </div>
        <pre className="max-h-64 overflow-auto rounded-md border bg-muted/40 px-3 py-2 font-mono text-xs" data-testid="delivery-request-body">
          {pretty(data.request_body)}
        </pre>
      </section>
      <section className="grid gap-1.5">
        <h3 className="text-sm font-semibold">Response{data.response_status !== null && ` (HTTP ${data.response_status})`}</h3>
        <pre className="max-h-40 overflow-auto rounded-md border bg-muted/40 px-3 py-2 font-mono text-xs whitespace-pre-wrap" data-testid="delivery-response-body">
          {data.response_body === null || data.response_body === "" ? "(no body)" : data.response_body}
        </pre>
      </section>
      {resend.isError && (
        <Alert variant="destructive" data-testid="delivery-resend-error">
          <AlertDescription>{errorMessage(resend.error)}</AlertDescription>
        </Alert>
      )}
      <div className="flex items-center justify-end gap-2">
        <p className="mr-auto text-xs text-muted-foreground">Resending sends the same event (same id) again, now, as a new delivery.</p>
        <Button
          variant="outline"
          disabled={resend.isPending}
          onClick={() => resend.mutate(data.id, { onSuccess: (created) => onResent(created.id) })}
          data-testid="delivery-resend"
        >
          {resend.isPending ? <Spinner label="Resending" /> : <RotateCcw aria-hidden />}
          Resend
        </Button>
      </div>
    </div>
  );
}

function DeliveryRow({ delivery, onOpen }: { delivery: WebhookDelivery; onOpen: () => void }) {
  return (
    <tr
      data-testid="delivery-row"
      data-delivery-id={delivery.id}
      data-status={delivery.status}
      className="cursor-pointer border-b last:border-b-0 hover:bg-muted/40"
      onClick={onOpen}
    >
      <td className="px-4 py-2">
        <DeliveryStatusBadge status={delivery.status} />
      </td>
      <td className="px-2 py-2 font-mono text-xs">{delivery.event_type}</td>
      <td className="px-2 py-2 tabular-nums" data-testid="delivery-row-response">
        {delivery.response_status ?? (delivery.error !== null ? <span className="text-muted-foreground">error</span> : "—")}
      </td>
      <td className="px-2 py-2 tabular-nums">{delivery.attempts}</td>
      <td className="px-2 py-2 whitespace-nowrap" title={delivery.created_at}>
        {agoLabel(delivery.created_at)}
      </td>
      <td className="py-2 pr-4 pl-2 text-right">
        <Button
          variant="ghost"
          size="sm"
          className="h-7 px-2 text-xs"
          onClick={(event) => {
            event.stopPropagation();
            onOpen();
          }}
          data-testid="delivery-open"
        >
          Details
        </Button>
      </td>
    </tr>
  );
}

/** One endpoint's deliveries, newest first, filterable by status; a row opens its detail. */
export function DeliveryLog({ endpoint }: { endpoint: WebhookEndpoint }) {
  const [status, setStatus] = useState<WebhookDeliveryStatus | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const deliveries = useWebhookDeliveries(endpoint.id, status);
  const filterId = useId();
  const items = deliveries.data?.pages.flatMap((p) => p.items) ?? [];

  let body;
  if (deliveries.isPending) {
    body = (
      <div className="flex justify-center py-8">
        <Spinner className="size-6" label="Loading deliveries" />
      </div>
    );
  } else if (deliveries.isError) {
    body = (
      <Alert variant="destructive">
        <AlertDescription>{errorMessage(deliveries.error)}</AlertDescription>
      </Alert>
    );
  } else if (items.length === 0) {
    body = (
      <EmptyState
        icon={History}
        title={status === null ? "No deliveries yet" : "No deliveries with this status"}
        description="Events this endpoint subscribes to show up here as they are sent. Send a test event to try it."
      />
    );
  } else {
    body = (
      <div className="overflow-x-auto rounded-xl border bg-card shadow-xs">
        <table className="w-full min-w-[36rem] text-sm" data-testid="delivery-list">
          <thead>
            <tr className="border-b bg-muted/50 text-left text-xs text-muted-foreground">
              <th scope="col" className="px-4 py-2 font-medium">Status</th>
              <th scope="col" className="px-2 py-2 font-medium">Event</th>
              <th scope="col" className="px-2 py-2 font-medium">Response</th>
              <th scope="col" className="px-2 py-2 font-medium">Attempts</th>
              <th scope="col" className="px-2 py-2 font-medium">Time</th>
              <th scope="col" className="py-2 pr-4 pl-2">
                <span className="sr-only">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((delivery) => (
              <DeliveryRow key={delivery.id} delivery={delivery} onOpen={() => setOpen(delivery.id)} />
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  return (
    <section aria-labelledby={`${filterId}-title`} className="grid gap-3" data-testid="delivery-log" data-endpoint-id={endpoint.id}>
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="grid min-w-0 gap-0.5">
          <h2 id={`${filterId}-title`} className="text-sm font-semibold">
            Deliveries
          </h2>
          <p className="truncate font-mono text-xs text-muted-foreground">{endpoint.url}</p>
        </div>
        <div className="flex items-center gap-2">
          <Label htmlFor={filterId} className="text-xs text-muted-foreground">
            Status
          </Label>
          <select
            id={filterId}
            value={status ?? ""}
            onChange={(e) => setStatus(e.target.value === "" ? null : (e.target.value as WebhookDeliveryStatus))}
            data-testid="delivery-status-filter"
            className="h-8 rounded-md border border-input bg-background px-2 text-sm shadow-xs focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
          >
            <option value="">All</option>
            {DELIVERY_STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {body}
      {deliveries.hasNextPage && (
        <div className="flex justify-center">
          <Button variant="outline" size="sm" disabled={deliveries.isFetchingNextPage} onClick={() => void deliveries.fetchNextPage()}>
            {deliveries.isFetchingNextPage && <Spinner label="Loading more" />}
            Load more
          </Button>
        </div>
      )}
      <Dialog open={open !== null} onOpenChange={(next) => !next && setOpen(null)}>
        <DialogContent className="sm:max-w-2xl">
          <div className="grid gap-1">
            <DialogTitle>Delivery</DialogTitle>
            <DialogDescription className="truncate font-mono text-xs">{endpoint.url}</DialogDescription>
          </div>
          {open !== null && <DeliveryDetail key={open} deliveryId={open} onResent={setOpen} />}
        </DialogContent>
      </Dialog>
    </section>
  );
}
