import { useId } from "react";

import { Spinner } from "@/components/ui/spinner";
import { Switch } from "@/components/ui/switch";
import { errorMessage } from "@/lib/api/errors";
import type { Channel } from "@/lib/api/types";

import { useSetReadReceipts } from "../api/set-read-receipts";

const HINT: Record<Channel["kind"], string> = {
  messenger: "When your team opens a conversation, the customer sees it as seen.",
  whatsapp: "When your team opens a conversation, the customer's messages get blue ticks.",
};

/** Owners and admins: tell Meta when the team has read a conversation. */
export function ReadReceiptsToggle({ channel }: { channel: Channel }) {
  const id = useId();
  const setReadReceipts = useSetReadReceipts();
  const hintId = `${id}-hint`;
  return (
    <div className="grid gap-1">
      <div className="flex items-center gap-2">
        <Switch
          id={id}
          data-testid="channel-read-receipts"
          checked={channel.send_read_receipts}
          disabled={setReadReceipts.isPending}
          aria-describedby={hintId}
          onCheckedChange={(enabled) => setReadReceipts.mutate({ channelId: channel.id, enabled })}
        />
        <label htmlFor={id} className="cursor-pointer text-sm font-medium">
          Send read receipts
        </label>
        {setReadReceipts.isPending && <Spinner label="Saving" />}
      </div>
      <p id={hintId} className="text-xs text-muted-foreground">
        {HINT[channel.kind]}
      </p>
      {setReadReceipts.isError && (
        <p data-testid="channel-read-receipts-error" role="alert" className="text-xs text-destructive">
          {errorMessage(setReadReceipts.error)}
        </p>
      )}
    </div>
  );
}
