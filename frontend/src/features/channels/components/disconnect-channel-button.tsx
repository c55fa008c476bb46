import { Unplug } from "lucide-react";
import { useState } from "react";

import { ConfirmDialog } from "@/components/confirm-dialog";
import { Button } from "@/components/ui/button";
import type { Channel } from "@/lib/api/types";

import { useDisconnectChannel } from "../api/disconnect-channel";

/** "Disconnect", confirmed in a dialog that says the conversations stay. */
export function DisconnectChannelButton({ channel }: { channel: Channel }) {
  const [open, setOpen] = useState(false);
  const disconnect = useDisconnectChannel();
  const what = channel.kind === "whatsapp" ? "this number" : "this Page";

  return (
    <ConfirmDialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) disconnect.reset();
      }}
      trigger={
        <Button variant="ghost" size="sm" data-testid="channel-disconnect" className="text-destructive hover:text-destructive">
          <Unplug aria-hidden />
          Disconnect
        </Button>
      }
      title={`Disconnect ${channel.name}?`}
      description={`Parley stops receiving and sending messages for ${what}. Its conversations and message history are kept, and you can reconnect it later.`}
      confirmLabel="Disconnect"
      pending={disconnect.isPending}
      pendingLabel="Disconnecting"
      error={disconnect.error}
      onConfirm={() => disconnect.mutate(channel.id, { onSuccess: () => setOpen(false) })}
      testId="disconnect-dialog"
      confirmTestId="confirm-disconnect"
      errorTestId="disconnect-error"
    />
  );
}
