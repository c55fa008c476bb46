import { Unplug } from "lucide-react";
import { useState } from "react";

import { Alert, AlertDescription } from "@/components/ui/alert";
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
  AlertDialogTrigger,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api/errors";
import type { Channel } from "@/lib/api/types";

import { useDisconnectChannel } from "../api/disconnect-channel";

/** "Disconnect", confirmed in a dialog that says the conversations stay. */
export function DisconnectChannelButton({ channel }: { channel: Channel }) {
  const [open, setOpen] = useState(false);
  const disconnect = useDisconnectChannel();
  const what = channel.kind === "whatsapp" ? "this number" : "this Page";

  return (
    <AlertDialog
      open={open}
      onOpenChange={(next) => {
        if (disconnect.isPending) return;
        setOpen(next);
        if (!next) disconnect.reset();
      }}
    >
      <AlertDialogTrigger asChild>
        <Button variant="ghost" size="sm" data-testid="channel-disconnect" className="text-destructive hover:text-destructive">
          <Unplug aria-hidden />
          Disconnect
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent data-testid="disconnect-dialog">
        <AlertDialogHeader>
          <AlertDialogTitle>Disconnect {channel.name}?</AlertDialogTitle>
          <AlertDialogDescription>
            Parley stops receiving and sending messages for {what}. Its conversations and message history are kept,
            and you can reconnect it later.
          </AlertDialogDescription>
        </AlertDialogHeader>
        {disconnect.isError && (
          <Alert variant="destructive" data-testid="disconnect-error">
            <AlertDescription>{errorMessage(disconnect.error)}</AlertDescription>
          </Alert>
        )}
        <AlertDialogFooter>
          <AlertDialogCancel disabled={disconnect.isPending}>Cancel</AlertDialogCancel>
          <Button
            variant="destructive"
            data-testid="confirm-disconnect"
            disabled={disconnect.isPending}
            onClick={() => disconnect.mutate(channel.id, { onSuccess: () => setOpen(false) })}
          >
            {disconnect.isPending && <Spinner className="text-destructive-foreground" label="Disconnecting" />}
            Disconnect
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
