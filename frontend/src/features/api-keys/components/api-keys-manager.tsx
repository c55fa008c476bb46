import { AlertTriangle, KeyRound, Plus } from "lucide-react";
import { useId, useState, type FormEvent } from "react";

import { LoadError } from "@/components/load-error";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { CopyButton, CopyField } from "@/components/copy-field";
import { Alert, AlertDescription } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Spinner } from "@/components/ui/spinner";
import { ApiError, errorMessage } from "@/lib/api/errors";
import type { ApiKey, ApiKeyCreate, ApiKeyCreated } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { agoLabel, dateTimeLabel } from "@/utils/format";

import { useApiKeys, useCreateApiKey, useRevokeApiKey } from "../api/api-keys";

/** Roles a key may carry (never owner). */
type KeyRole = Extract<ApiKeyCreate["role"], "admin" | "agent" | "viewer">;

const ROLES: { value: KeyRole; label: string; hint: string }[] = [
  { value: "agent", label: "Agent", hint: "Read and answer conversations." },
  { value: "viewer", label: "Viewer", hint: "Read only." },
  { value: "admin", label: "Admin", hint: "Everything an admin can do, except owning the workspace." },
];

const MAX_NAME = 120;

function origin(): string {
  return typeof window === "undefined" ? "" : window.location.origin;
}

function CreateForm({ onCreated, onCancel }: { onCreated: (key: ApiKeyCreated) => void; onCancel: () => void }) {
  const create = useCreateApiKey();
  const [name, setName] = useState("");
  const [role, setRole] = useState<KeyRole>("agent");
  const [attempted, setAttempted] = useState(false);
  const ids = { name: useId(), role: useId() };
  const trimmed = name.trim();
  const problem = !attempted ? null : trimmed === "" ? "Name the key after what uses it." : trimmed.length > MAX_NAME ? `At most ${MAX_NAME} characters.` : null;
  const serverFields = create.error instanceof ApiError ? create.error.fields : [];
  const nameError = problem ?? serverFields.find((f) => f.field === "name")?.message ?? null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setAttempted(true);
    if (trimmed === "" || trimmed.length > MAX_NAME) return;
    create.mutate({ name: trimmed, role }, { onSuccess: onCreated });
  }

  return (
    <form onSubmit={submit} noValidate className="grid gap-4" data-testid="api-key-form">
      <div className="grid gap-1.5">
        <Label htmlFor={ids.name}>Name</Label>
        <Input
          id={ids.name}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            create.reset();
          }}
          placeholder="Zapier, CRM sync…"
          aria-invalid={nameError !== null || undefined}
          data-testid="api-key-name"
          autoFocus
        />
        {nameError !== null && <p className="text-xs text-destructive">{nameError}</p>}
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor={ids.role}>Role</Label>
        <select
          id={ids.role}
          value={role}
          onChange={(e) => setRole(e.target.value as KeyRole)}
          data-testid="api-key-role"
          className="h-10 rounded-md border border-input bg-background px-3 text-sm shadow-xs focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
        >
          {ROLES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
        <p className="text-xs text-muted-foreground">{ROLES.find((r) => r.value === role)?.hint}</p>
      </div>
      {create.error !== null && serverFields.length === 0 && (
        <Alert variant="destructive" data-testid="api-key-error">
          <AlertDescription>{errorMessage(create.error)}</AlertDescription>
        </Alert>
      )}
      <div className="flex justify-end gap-2">
        <Button type="button" variant="outline" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={create.isPending} data-testid="api-key-submit">
          {create.isPending && <Spinner className="text-primary-foreground" label="Creating" />}
          Create key
        </Button>
      </div>
    </form>
  );
}

/** The new key, once: copy it now, it is never shown again. */
function CreatedKey({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  return (
    <div className="grid gap-4">
      <Alert variant="warning">
        <AlertTriangle aria-hidden />
        <AlertDescription>Copy this key now. It will not be shown again; Parley keeps only a hash of it.</AlertDescription>
      </Alert>
      <CopyField value={created.secret} testId="api-key-secret" copyLabel="Copy the API key" copyTestId="api-key-copy" />
      <p className="text-xs text-muted-foreground">
        {created.name} · {created.role}. Send it as <span className="font-mono">Authorization: Bearer &lt;key&gt;</span>.
      </p>
      <div className="flex justify-end">
        <Button onClick={onDone} data-testid="api-key-done">
          Done
        </Button>
      </div>
    </div>
  );
}

function RevokeKey({ apiKey }: { apiKey: ApiKey }) {
  const [open, setOpen] = useState(false);
  const revoke = useRevokeApiKey();
  return (
    <ConfirmDialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) revoke.reset();
      }}
      trigger={
        <Button variant="outline" size="sm" className="h-7 px-2.5 text-xs hover:text-destructive" data-testid="api-key-revoke">
          Revoke
        </Button>
      }
      title={`Revoke ${apiKey.name}?`}
      description={
        <>
          Anything using <span className="font-mono">{apiKey.prefix}…</span> stops working at once. This cannot be undone.
        </>
      }
      confirmLabel="Revoke"
      pending={revoke.isPending}
      pendingLabel="Revoking"
      error={revoke.error}
      onConfirm={() => revoke.mutate(apiKey.id, { onSuccess: () => setOpen(false) })}
      confirmTestId="api-key-confirm-revoke"
    />
  );
}

function KeyRow({ apiKey }: { apiKey: ApiKey }) {
  const revoked = apiKey.revoked_at !== null;
  return (
    <tr data-testid="api-key-row" data-key-id={apiKey.id} data-revoked={revoked} className={cn("border-b last:border-b-0", revoked && "text-muted-foreground")}>
      <td className="px-4 py-2.5 font-medium">
        <span className="flex items-center gap-2">
          {apiKey.name}
          {revoked && (
            <Badge variant="destructive" data-testid="api-key-revoked">
              Revoked
            </Badge>
          )}
        </span>
      </td>
      <td className="px-2 py-2.5 font-mono text-xs">{apiKey.prefix}…</td>
      <td className="px-2 py-2.5 capitalize">{apiKey.role}</td>
      <td className="px-2 py-2.5 whitespace-nowrap tabular-nums" title={apiKey.created_at}>
        {dateTimeLabel(apiKey.created_at)}
      </td>
      <td className="px-2 py-2.5 whitespace-nowrap" title={apiKey.last_used_ip ?? undefined} data-testid="api-key-last-used">
        {apiKey.last_used_at === null ? <span className="text-muted-foreground">Never</span> : agoLabel(apiKey.last_used_at)}
      </td>
      <td className="py-2 pr-4 pl-2 text-right">{!revoked && <RevokeKey apiKey={apiKey} />}</td>
    </tr>
  );
}

/** How an integrator calls the API with a key, against this very server. */
function CurlExample() {
  const command = `curl -H "Authorization: Bearer prly_…" ${origin()}/api/inbox/conversations`;
  return (
    <section aria-labelledby="api-keys-usage" className="grid gap-2">
      <h2 id="api-keys-usage" className="text-sm font-semibold">
        Using a key
      </h2>
      <p className="text-sm text-muted-foreground">
        Send the key as a bearer token. The API is described at{" "}
        <a className="font-medium underline" href="/api/docs" target="_blank" rel="noreferrer">
          /api/docs
        </a>
        .
      </p>
      <div className="flex items-start gap-2">
        <pre data-testid="api-key-curl" className="min-w-0 flex-1 overflow-x-auto rounded-md border bg-muted/40 px-3 py-2 font-mono text-xs">
          {command}
        </pre>
        <CopyButton text={command} label="Copy the curl example" />
      </div>
    </section>
  );
}

/** The workspace's API keys: list, create (secret shown once), revoke. */
export function ApiKeysManager() {
  const keys = useApiKeys();
  const [dialog, setDialog] = useState<"closed" | "form" | ApiKeyCreated>("closed");
  const items = keys.data?.items ?? [];
  const created = typeof dialog === "object" ? dialog : null;

  let body;
  if (keys.isPending) {
    body = (
      <div className="flex justify-center py-12">
        <Spinner className="size-6" label="Loading API keys" />
      </div>
    );
  } else if (keys.isError) {
    body = (
      <LoadError error={keys.error} onRetry={() => void keys.refetch()} testId="api-keys-error" />
    );
  } else if (items.length === 0) {
    body = <EmptyState icon={KeyRound} title="No API keys yet" description="Create a key for each integration, so each can be revoked on its own." />;
  } else {
    body = (
      <div className="overflow-x-auto rounded-xl border bg-card shadow-xs">
        <table className="w-full min-w-[40rem] text-sm" data-testid="api-key-list">
          <thead>
            <tr className="border-b bg-muted/50 text-left text-xs text-muted-foreground">
              <th scope="col" className="px-4 py-2 font-medium">
                Name
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Key
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Role
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Created
              </th>
              <th scope="col" className="px-2 py-2 font-medium">
                Last used
              </th>
              <th scope="col" className="py-2 pr-4 pl-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((key) => (
              <KeyRow key={key.id} apiKey={key} />
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  return (
    <div className="grid gap-6">
      <div className="grid gap-3">
        <div className="flex items-center justify-between gap-3">
          <p className="text-sm text-muted-foreground">{items.length > 0 && `${items.filter((k) => k.revoked_at === null).length} active`}</p>
          <Button size="sm" onClick={() => setDialog("form")} data-testid="api-key-create">
            <Plus aria-hidden />
            Create API key
          </Button>
        </div>
        {body}
      </div>
      <CurlExample />
      <Dialog
        open={dialog !== "closed"}
        onOpenChange={(open) => {
          // The secret stays up until "Done": closing it by accident would lose it.
          if (!open && created === null) setDialog("closed");
        }}
      >
        <DialogContent className="sm:max-w-lg" showClose={created === null}>
          <div className="grid gap-1">
            <DialogTitle>{created === null ? "Create API key" : "Your new API key"}</DialogTitle>
            <DialogDescription>
              {created === null ? "A key acts with the role you give it, for this workspace only." : "Store it in your integration's secrets."}
            </DialogDescription>
          </div>
          {created === null ? (
            dialog === "form" && <CreateForm onCreated={(key) => setDialog(key)} onCancel={() => setDialog("closed")} />
          ) : (
            <CreatedKey created={created} onDone={() => setDialog("closed")} />
          )}
        </DialogContent>
      </Dialog>
    </div>
  );
}
