import { Eye, KeyRound, Pencil, Plus, Send, Trash2, Webhook } from "lucide-react";
import { useState, type ReactNode } from "react";

import { LoadError } from "@/components/load-error";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { Switch } from "@/components/ui/switch";
import { errorMessage } from "@/lib/api/errors";
import { cn } from "@/lib/utils";
import { agoLabel } from "@/utils/format";

import type { WebhookEndpoint } from "../api/types";
import {
  useDeleteEndpoint,
  useRevealSecret,
  useRotateSecret,
  useSendTest,
  useUpdateEndpoint,
  useWebhookEndpoints,
} from "../api/webhooks";
import { DeliveryLog } from "./delivery-log";
import { DeliveryStatusBadge } from "./delivery-status-badge";
import { EndpointForm } from "./endpoint-form";
import { SecretView, type SecretReason } from "./secret-view";
import { SignatureHelp } from "./signature-help";

type DialogState =
  | { kind: "closed" }
  | { kind: "form"; endpoint: WebhookEndpoint | null }
  | { kind: "secret"; endpoint: WebhookEndpoint; secret: string; reason: SecretReason };

interface RowActions {
  onShowLog: () => void;
  onEdit: () => void;
  onSecret: (secret: string, reason: SecretReason) => void;
}

function IconButton({ label, testId, onClick, disabled, children, className }: {
  label: string;
  testId: string;
  onClick?: () => void;
  disabled?: boolean;
  children: ReactNode;
  className?: string;
}) {
  return (
    <Button
      variant="ghost"
      size="icon"
      className={cn("size-8", className)}
      aria-label={label}
      title={label}
      onClick={onClick}
      disabled={disabled}
      data-testid={testId}
    >
      {children}
    </Button>
  );
}

function RotateSecret({ endpoint, onRotated }: { endpoint: WebhookEndpoint; onRotated: (secret: string) => void }) {
  const [open, setOpen] = useState(false);
  const rotate = useRotateSecret();
  return (
    <ConfirmDialog
      open={open}
      onOpenChange={setOpen}
      trigger={
        <Button variant="ghost" size="icon" className="size-8" aria-label="Rotate secret" title="Rotate secret" data-testid="webhook-rotate">
          <KeyRound aria-hidden />
        </Button>
      }
      title="Rotate the signing secret?"
      description={
        <>
          Deliveries to <span className="font-mono break-all">{endpoint.url}</span> are signed with a new secret from now on; your
          receiver rejects them until it has the new one.
        </>
      }
      confirmLabel="Rotate secret"
      destructive={false}
      pending={rotate.isPending}
      pendingLabel="Rotating"
      error={rotate.error}
      onConfirm={() =>
        rotate.mutate(endpoint.id, {
          onSuccess: ({ secret }) => {
            setOpen(false);
            onRotated(secret);
          },
        })
      }
      confirmTestId="webhook-confirm-rotate"
    />
  );
}

function DeleteEndpoint({ endpoint }: { endpoint: WebhookEndpoint }) {
  const [open, setOpen] = useState(false);
  const remove = useDeleteEndpoint();
  return (
    <ConfirmDialog
      open={open}
      onOpenChange={setOpen}
      trigger={
        <Button variant="ghost" size="icon" className="size-8 hover:text-destructive" aria-label="Delete endpoint" title="Delete endpoint" data-testid="webhook-delete">
          <Trash2 aria-hidden />
        </Button>
      }
      title="Delete this endpoint?"
      description={
        <>
          <span className="font-mono break-all">{endpoint.url}</span> stops receiving events, and its delivery log is deleted with it.
        </>
      }
      confirmLabel="Delete"
      pending={remove.isPending}
      pendingLabel="Deleting"
      error={remove.error}
      onConfirm={() => remove.mutate(endpoint.id, { onSuccess: () => setOpen(false) })}
      confirmTestId="webhook-confirm-delete"
    />
  );
}

function EndpointRow({ endpoint, selected, actions }: { endpoint: WebhookEndpoint; selected: boolean; actions: RowActions }) {
  const update = useUpdateEndpoint();
  const test = useSendTest();
  const reveal = useRevealSecret();
  const problem = update.error ?? test.error ?? reveal.error;
  const last = endpoint.last_delivery;
  return (
    <tr
      data-testid={`webhook-row-${endpoint.url}`}
      data-endpoint-id={endpoint.id}
      data-selected={selected}
      className={cn("border-b align-top last:border-b-0", selected && "bg-muted/40", !endpoint.enabled && "text-muted-foreground")}
    >
      <td className="max-w-[18rem] px-4 py-2.5">
        <button
          type="button"
          className="block max-w-full truncate text-left font-mono text-xs font-medium hover:underline"
          title={endpoint.url}
          onClick={actions.onShowLog}
          data-testid="webhook-show-deliveries"
        >
          {endpoint.url}
        </button>
        {endpoint.description !== null && <p className="truncate text-xs text-muted-foreground">{endpoint.description}</p>}
        {problem !== null && (
          <p className="mt-1 text-xs text-destructive" role="alert" data-testid="webhook-row-error">
            {errorMessage(problem)}
          </p>
        )}
      </td>
      <td className="px-2 py-2.5">
        <div className="flex flex-wrap gap-1">
          {endpoint.events.map((type) => (
            <Badge key={type} variant="outline" className="font-mono font-normal">
              {type}
            </Badge>
          ))}
        </div>
      </td>
      <td className="px-2 py-2.5">
        <Switch
          checked={endpoint.enabled}
          disabled={update.isPending}
          aria-label={endpoint.enabled ? "Enabled: turn off" : "Disabled: turn on"}
          onCheckedChange={(enabled) => update.mutate({ id: endpoint.id, changes: { enabled } })}
          data-testid="webhook-enabled"
        />
      </td>
      <td className="px-2 py-2.5 whitespace-nowrap" data-testid="webhook-last-delivery">
        {last === null || last === undefined ? (
          <span className="text-xs text-muted-foreground">None yet</span>
        ) : (
          <span className="flex items-center gap-2">
            <DeliveryStatusBadge status={last.status} />
            <span className="text-xs text-muted-foreground tabular-nums">
              {last.response_status !== null && `${last.response_status} · `}
              {agoLabel(last.last_attempt_at ?? last.created_at)}
            </span>
          </span>
        )}
      </td>
      <td className="py-1.5 pr-3 pl-2">
        {/* Two rows of icons where the table is narrow (laptop width beside the settings nav). */}
        <div className="ml-auto flex max-w-[6.25rem] flex-wrap justify-end gap-0.5 2xl:max-w-none">
          <IconButton
            label="Send test event"
            testId="webhook-test"
            disabled={!endpoint.enabled || test.isPending}
            onClick={() => test.mutate(endpoint.id, { onSuccess: actions.onShowLog })}
          >
            {test.isPending ? <Spinner label="Sending" /> : <Send aria-hidden />}
          </IconButton>
          <IconButton label="Edit endpoint" testId="webhook-edit" onClick={actions.onEdit}>
            <Pencil aria-hidden />
          </IconButton>
          <IconButton
            label="Reveal secret"
            testId="webhook-reveal"
            disabled={reveal.isPending}
            onClick={() => reveal.mutate(endpoint.id, { onSuccess: ({ secret }) => actions.onSecret(secret, "revealed") })}
          >
            {reveal.isPending ? <Spinner label="Revealing" /> : <Eye aria-hidden />}
          </IconButton>
          <RotateSecret endpoint={endpoint} onRotated={(secret) => actions.onSecret(secret, "rotated")} />
          <DeleteEndpoint endpoint={endpoint} />
        </div>
      </td>
    </tr>
  );
}

const DIALOG_TITLES = {
  created: "Endpoint added: its signing secret",
  revealed: "Signing secret",
  rotated: "New signing secret",
} as const;

/** Settings → Webhooks: endpoints, their secrets, and each one's delivery log. */
export function WebhooksManager() {
  const endpoints = useWebhookEndpoints();
  const [dialog, setDialog] = useState<DialogState>({ kind: "closed" });
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const items = endpoints.data?.items ?? [];
  const selected = items.find((e) => e.id === selectedId) ?? items[0] ?? null;

  let body;
  if (endpoints.isPending) {
    body = (
      <div className="flex justify-center py-12">
        <Spinner className="size-6" label="Loading webhook endpoints" />
      </div>
    );
  } else if (endpoints.isError) {
    body = (
      <LoadError error={endpoints.error} onRetry={() => void endpoints.refetch()} testId="webhooks-error" />
    );
  } else if (items.length === 0) {
    body = (
      <EmptyState
        icon={Webhook}
        title="No endpoints yet"
        description="Add an https:// endpoint and Parley will POST new messages and conversation changes to it, signed."
      />
    );
  } else {
    body = (
      <div className="overflow-x-auto rounded-xl border bg-card shadow-xs">
        <table className="w-full min-w-[44rem] text-sm" data-testid="webhook-list">
          <thead>
            <tr className="border-b bg-muted/50 text-left text-xs text-muted-foreground">
              <th scope="col" className="px-4 py-2 font-medium">Endpoint</th>
              <th scope="col" className="px-2 py-2 font-medium">Events</th>
              <th scope="col" className="px-2 py-2 font-medium">Enabled</th>
              <th scope="col" className="px-2 py-2 font-medium">Last delivery</th>
              <th scope="col" className="py-2 pr-4 pl-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((endpoint) => (
              <EndpointRow
                key={endpoint.id}
                endpoint={endpoint}
                selected={endpoint.id === selected?.id}
                actions={{
                  onShowLog: () => setSelectedId(endpoint.id),
                  onEdit: () => setDialog({ kind: "form", endpoint }),
                  onSecret: (secret, reason) => setDialog({ kind: "secret", endpoint, secret, reason }),
                }}
              />
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  const closeDialog = () => setDialog({ kind: "closed" });
  return (
    <div className="grid gap-8">
      <div className="grid gap-3">
        <div className="flex items-center justify-between gap-3">
          <p className="text-sm text-muted-foreground">
            {items.length > 0 && `${items.filter((e) => e.enabled).length} of ${items.length} enabled`}
          </p>
          <Button size="sm" onClick={() => setDialog({ kind: "form", endpoint: null })} data-testid="webhook-add">
            <Plus aria-hidden />
            Add endpoint
          </Button>
        </div>
        {body}
      </div>
      {selected !== null && <DeliveryLog key={selected.id} endpoint={selected} />}
      <SignatureHelp />
      <Dialog
        open={dialog.kind !== "closed"}
        onOpenChange={(open) => {
          // A secret stays up until "Done": closing it by accident would lose it.
          if (!open && dialog.kind !== "secret") closeDialog();
        }}
      >
        <DialogContent className="sm:max-w-lg" showClose={dialog.kind !== "secret"}>
          {dialog.kind === "form" && (
            <>
              <div className="grid gap-1">
                <DialogTitle>{dialog.endpoint === null ? "Add webhook endpoint" : "Edit webhook endpoint"}</DialogTitle>
                <DialogDescription>Parley POSTs each chosen event to this URL, signed with the endpoint&apos;s secret.</DialogDescription>
              </div>
              <EndpointForm
                endpoint={dialog.endpoint}
                onCreated={(created) => {
                  setSelectedId(created.id);
                  setDialog({ kind: "secret", endpoint: created, secret: created.secret, reason: "created" });
                }}
                onSaved={closeDialog}
                onCancel={closeDialog}
              />
            </>
          )}
          {dialog.kind === "secret" && (
            <>
              <div className="grid gap-1">
                <DialogTitle>{DIALOG_TITLES[dialog.reason]}</DialogTitle>
                <DialogDescription className="truncate font-mono text-xs">{dialog.endpoint.url}</DialogDescription>
              </div>
              <SecretView secret={dialog.secret} reason={dialog.reason} onDone={closeDialog} />
            </>
          )}
        </DialogContent>
      </Dialog>
    </div>
  );
}
