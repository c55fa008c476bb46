import { FileQuestion } from "lucide-react";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { ApiError, errorMessage } from "@/lib/api/errors";
import type { Channel, MetaPage } from "@/lib/api/types";
import { cn } from "@/lib/utils";

import { useConnectPages } from "../api/connect-pages";
import { usePages } from "../api/get-pages";
import { useCanManageChannels } from "../hooks/use-can-manage-channels";
import { pageUnavailableReason } from "../utils/availability";

import { LoadError, LoadingBlock, StartAgainButton } from "./connect-layout";
import type { ConnectedNotice } from "./connect-notices";

/** The API connects at most this many Pages per request. */
const MAX_PAGES_PER_CONNECT = 50;

function submitLabel(n: number): string {
  if (n === 0) return "Connect pages";
  return `Connect ${n} ${n === 1 ? "page" : "pages"}`;
}

function successNotice(channels: Channel[], importing: boolean): ConnectedNotice {
  const names = channels.map((c) => c.name);
  const what = names.length > 0 && names.length <= 2 ? names.join(" and ") : `${names.length} Pages`;
  return { notice: `Connected ${what}.${importing ? " Their recent conversations are being imported." : ""}` };
}

function PageOption({
  page,
  checked,
  onCheckedChange,
}: {
  page: MetaPage;
  checked: boolean;
  onCheckedChange: (checked: boolean) => void;
}) {
  const reason = pageUnavailableReason(page);
  const id = `page-${page.id}`;
  return (
    <li data-testid="page-option" data-page-id={page.id} data-disabled={reason !== null ? "true" : undefined}>
      <label
        htmlFor={id}
        className={cn(
          "flex items-center gap-3 px-4 py-3 transition-colors",
          reason === null ? "cursor-pointer hover:bg-accent/60" : "cursor-not-allowed",
          checked && "bg-primary/5",
        )}
      >
        <Checkbox
          id={id}
          checked={checked}
          disabled={reason !== null}
          onCheckedChange={onCheckedChange}
          aria-describedby={reason !== null ? `${id}-reason` : undefined}
        />
        <span className={cn("grid min-w-0 flex-1", reason !== null && "opacity-60")}>
          <span className="truncate text-sm font-medium">{page.name}</span>
          <span className="truncate text-xs text-muted-foreground">{page.category ?? `Page ID ${page.id}`}</span>
        </span>
        {reason !== null && (
          <span id={`${id}-reason`} data-testid="page-unavailable" className="shrink-0 text-xs text-muted-foreground">
            {reason}
          </span>
        )}
      </label>
    </li>
  );
}

/** Pick which of the Facebook user's Pages to connect, optionally importing their recent conversations. */
export function PagePicker({ accountId }: { accountId: string }) {
  const pages = usePages(accountId);
  const connect = useConnectPages();
  const canManage = useCanManageChannels();
  const navigate = useNavigate();
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const [importHistory, setImportHistory] = useState(false);

  if (pages.isPending) return <LoadingBlock label="Loading your Pages…" />;
  if (pages.isError) {
    return (
      <div className="grid justify-items-start gap-3">
        <LoadError error={pages.error} onRetry={() => void pages.refetch()} />
        <StartAgainButton />
      </div>
    );
  }
  if (pages.data.length === 0) {
    return (
      <EmptyState
        icon={FileQuestion}
        title="No Pages to connect"
        description="The Facebook account you signed in with manages no Pages, or did not grant Parley access to them. Start again and select your Pages in the Facebook dialog."
      >
        <StartAgainButton />
      </EmptyState>
    );
  }

  // A refetch (after a 409, say) can make a selected page unavailable: it no longer counts.
  const chosen = pages.data.filter((page) => selected.has(page.id) && pageUnavailableReason(page) === null);
  const tooMany = chosen.length > MAX_PAGES_PER_CONNECT;

  function toggle(pageId: string, checked: boolean) {
    setSelected((current) => {
      const next = new Set(current);
      if (checked) next.add(pageId);
      else next.delete(pageId);
      return next;
    });
    if (connect.isError) connect.reset();
  }

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (chosen.length === 0 || tooMany || connect.isPending) return;
    connect.mutate(
      { accountId, page_ids: chosen.map((page) => page.id), import_history: importHistory },
      {
        onSuccess: (channels) => void navigate("/channels", { state: successNotice(channels, importHistory) }),
        onError: (error) => {
          if (error instanceof ApiError && error.status === 409) void pages.refetch();
        },
      },
    );
  }

  return (
    <form onSubmit={handleSubmit} className="grid gap-5" aria-label="Choose Pages">
      <ul data-testid="page-list" className="divide-y overflow-hidden rounded-xl border bg-card">
        {pages.data.map((page) => (
          <PageOption
            key={page.id}
            page={page}
            checked={chosen.some((c) => c.id === page.id)}
            onCheckedChange={(checked) => toggle(page.id, checked)}
          />
        ))}
      </ul>

      <label htmlFor="import-history" className="flex cursor-pointer items-start gap-3 rounded-xl border px-4 py-3">
        <Checkbox
          id="import-history"
          data-testid="import-history"
          className="mt-0.5"
          checked={importHistory}
          onCheckedChange={setImportHistory}
        />
        <span className="grid gap-0.5">
          <span className="text-sm font-medium">Also import recent conversations</span>
          <span className="text-xs text-muted-foreground">
            Brings each Page&apos;s recent Messenger conversations into the inbox, so your team sees the history.
          </span>
        </span>
      </label>

      {connect.isError && (
        <Alert variant="destructive" data-testid="connect-pages-error">
          <AlertDescription>{errorMessage(connect.error)}</AlertDescription>
        </Alert>
      )}
      {!canManage && (
        <p className="text-sm text-muted-foreground">Only owners and admins of this workspace can connect Pages.</p>
      )}
      {tooMany && (
        <p className="text-sm text-muted-foreground">
          Choose at most {MAX_PAGES_PER_CONNECT} Pages at a time; connect the rest afterwards.
        </p>
      )}

      <div className="flex items-center justify-end gap-2">
        <Button asChild variant="ghost">
          <Link to="/channels">Cancel</Link>
        </Button>
        <Button
          type="submit"
          data-testid="connect-pages-submit"
          disabled={!canManage || chosen.length === 0 || tooMany || connect.isPending}
        >
          {connect.isPending && <Spinner className="text-primary-foreground" label="Connecting" />}
          {submitLabel(chosen.length)}
        </Button>
      </div>
    </form>
  );
}
