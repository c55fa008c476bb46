import { useId, useState, type FormEvent } from "react";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Spinner } from "@/components/ui/spinner";
import { ApiError, errorMessage } from "@/lib/api/errors";

import type { WebhookEndpoint, WebhookEndpointCreated, WebhookEventType } from "../api/types";
import { useCreateEndpoint, useUpdateEndpoint } from "../api/webhooks";
import { URL_ERROR_CODES, WEBHOOK_EVENTS, urlProblem } from "../utils/events";

const MAX_DESCRIPTION = 200;

interface Draft {
  url: string;
  description: string;
  events: WebhookEventType[];
}

/** Add an endpoint (then its secret is shown) or edit one; the server's refusals show inline. */
export function EndpointForm({
  endpoint,
  onCreated,
  onSaved,
  onCancel,
}: {
  endpoint: WebhookEndpoint | null;
  onCreated: (created: WebhookEndpointCreated) => void;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const create = useCreateEndpoint();
  const update = useUpdateEndpoint();
  const mutation = endpoint === null ? create : update;
  const [draft, setDraft] = useState<Draft>({
    url: endpoint?.url ?? "",
    description: endpoint?.description ?? "",
    events: endpoint?.events ?? ["message.created"],
  });
  const [attempted, setAttempted] = useState(false);
  const ids = { url: useId(), description: useId(), events: useId() };

  const localUrl = attempted ? urlProblem(draft.url) : null;
  const localEvents = attempted && draft.events.length === 0 ? "Pick at least one event." : null;
  const localDescription =
    draft.description.length > MAX_DESCRIPTION ? `At most ${MAX_DESCRIPTION} characters.` : null;
  const serverError = mutation.error instanceof ApiError ? mutation.error : null;
  const serverUrl = serverError !== null && URL_ERROR_CODES.has(serverError.error) ? serverError.detail : null;
  const urlError = localUrl ?? serverUrl;
  const otherError = mutation.error !== null && serverUrl === null ? errorMessage(mutation.error) : null;

  function change(next: Partial<Draft>) {
    setDraft((d) => ({ ...d, ...next }));
    mutation.reset();
  }

  function toggle(type: WebhookEventType, on: boolean) {
    const chosen = new Set(draft.events);
    if (on) chosen.add(type);
    else chosen.delete(type);
    // Keep the catalogue's order.
    change({ events: WEBHOOK_EVENTS.map((e) => e.type).filter((t) => chosen.has(t)) });
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setAttempted(true);
    if (urlProblem(draft.url) !== null || draft.events.length === 0 || localDescription !== null) return;
    const description = draft.description.trim() === "" ? null : draft.description.trim();
    const body = { url: draft.url.trim(), description, events: draft.events };
    if (endpoint === null) create.mutate({ ...body, enabled: true }, { onSuccess: onCreated });
    else update.mutate({ id: endpoint.id, changes: body }, { onSuccess: onSaved });
  }

  return (
    <form onSubmit={submit} noValidate className="grid gap-4" data-testid="webhook-form">
      <div className="grid gap-1.5">
        <Label htmlFor={ids.url}>Endpoint URL</Label>
        <Input
          id={ids.url}
          type="url"
          inputMode="url"
          value={draft.url}
          onChange={(e) => change({ url: e.target.value })}
          placeholder="https://example.com/webhooks/parley"
          aria-invalid={urlError !== null || undefined}
          data-testid="webhook-url"
          autoFocus
        />
        {urlError !== null ? (
          <p className="text-xs text-destructive" data-testid="webhook-url-error">
            {urlError}
          </p>
        ) : (
          <p className="text-xs text-muted-foreground">An https:// address on the internet. Parley POSTs signed JSON to it.</p>
        )}
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor={ids.description}>Description (optional)</Label>
        <Input
          id={ids.description}
          value={draft.description}
          onChange={(e) => change({ description: e.target.value })}
          placeholder="CRM sync"
          aria-invalid={localDescription !== null || undefined}
          data-testid="webhook-description"
        />
        {localDescription !== null && <p className="text-xs text-destructive">{localDescription}</p>}
      </div>
      <fieldset className="grid gap-2" aria-describedby={localEvents !== null ? ids.events : undefined}>
        <legend className="mb-1 text-sm font-medium">Events</legend>
        {WEBHOOK_EVENTS.map((item) => {
          const id = `${ids.events}-${item.type}`;
          return (
            <div key={item.type} className="flex items-start gap-2.5">
              <Checkbox
                id={id}
                className="mt-0.5"
                checked={draft.events.includes(item.type)}
                onCheckedChange={(on) => toggle(item.type, on)}
                data-testid={`webhook-event-${item.type}`}
              />
              <Label htmlFor={id} className="grid gap-0.5 font-normal">
                <span className="font-mono text-sm">{item.type}</span>
                <span className="text-xs text-muted-foreground">{item.hint}</span>
              </Label>
            </div>
          );
        })}
        {localEvents !== null && (
          <p id={ids.events} className="text-xs text-destructive" data-testid="webhook-events-error">
            {localEvents}
          </p>
        )}
      </fieldset>
      {otherError !== null && (
        <Alert variant="destructive" data-testid="webhook-error">
          <AlertDescription>{otherError}</AlertDescription>
        </Alert>
      )}
      <div className="flex justify-end gap-2">
        <Button type="button" variant="outline" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={mutation.isPending} data-testid="webhook-save">
          {mutation.isPending && <Spinner className="text-primary-foreground" label="Saving" />}
          {endpoint === null ? "Add endpoint" : "Save"}
        </Button>
      </div>
    </form>
  );
}
