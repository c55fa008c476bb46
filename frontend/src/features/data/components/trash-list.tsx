import { RotateCcw, Trash2 } from "lucide-react";

import { ChannelIcon } from "@/components/channel-icon";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api/errors";
import type { TrashedConversation } from "@/lib/api/types";

import { useRestoreConversation, useTrash } from "../api/trash";
import { dateLabel } from "../utils/dates";

function TrashRow({ conversation }: { conversation: TrashedConversation }) {
  const restore = useRestoreConversation();
  const name = conversation.contact.name || conversation.contact.external_id;
  return (
    <li data-testid="trash-row" data-conversation-id={conversation.id} className="flex flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
      <div className="min-w-0 flex-1">
        <p className="truncate text-sm font-medium">{name}</p>
        <p className="flex items-center gap-1.5 text-xs text-muted-foreground">
          <ChannelIcon kind={conversation.channel.kind} className="size-3.5 shrink-0" />
          <span className="truncate">{conversation.channel.name}</span>
          {conversation.last_message_preview && <span className="truncate">· {conversation.last_message_preview}</span>}
        </p>
      </div>
      <div className="text-right text-xs text-muted-foreground">
        <p>Deleted {dateLabel(conversation.deleted_at)}</p>
        <p data-testid="trash-purge">Purged on {dateLabel(conversation.purge_at)}</p>
      </div>
      <Button
        variant="outline"
        size="sm"
        onClick={() => restore.mutate(conversation.id)}
        disabled={restore.isPending}
        data-testid="trash-restore"
      >
        {restore.isPending ? <Spinner label="Restoring" /> : <RotateCcw aria-hidden />}
        Restore
      </Button>
      {restore.error !== null && (
        <p role="alert" className="w-full text-xs text-destructive">
          {errorMessage(restore.error)}
        </p>
      )}
    </li>
  );
}

/** Deleted conversations: restorable until they are purged. */
export function TrashList() {
  const trash = useTrash();
  if (trash.isPending) {
    return (
      <div className="flex justify-center py-8">
        <Spinner className="size-5" label="Loading the trash" />
      </div>
    );
  }
  if (trash.isError) {
    return (
      <p role="alert" className="px-4 py-6 text-sm text-destructive">
        {errorMessage(trash.error)}
      </p>
    );
  }
  const items = trash.data.pages.flatMap((page) => page.items);
  if (items.length === 0) {
    return <EmptyState icon={Trash2} title="The trash is empty" description="Deleted conversations wait here before they are erased." />;
  }
  return (
    <div>
      <ul className="divide-y" data-testid="trash-list">
        {items.map((conversation) => (
          <TrashRow key={conversation.id} conversation={conversation} />
        ))}
      </ul>
      {trash.hasNextPage && (
        <div className="flex justify-center border-t p-3">
          <Button variant="ghost" size="sm" onClick={() => void trash.fetchNextPage()} disabled={trash.isFetchingNextPage}>
            {trash.isFetchingNextPage && <Spinner label="Loading" />}
            Show more
          </Button>
        </div>
      )}
    </div>
  );
}
