import { AlertCircle, Lock, SendHorizontal, Unplug } from "lucide-react";
import { useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Link } from "react-router";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { Textarea } from "@/components/ui/textarea";
import { ApiError, errorMessage } from "@/lib/api/errors";
import type { Channel, ConversationWindow } from "@/lib/api/types";
import { uuid } from "@/utils/id";

import { useSendMessage } from "../api/send-message";

export interface ComposerProps {
  conversationId: string;
  window?: ConversationWindow;
  /** The conversation's channel, when known: a channel that is not active cannot send. */
  channel?: Pick<Channel, "name" | "status">;
}

function ChannelHint({ channel }: { channel: Pick<Channel, "name" | "status"> }) {
  const why =
    channel.status === "needs_reauth"
      ? `${channel.name} needs to be reconnected before replies can be sent.`
      : `${channel.name} is disconnected, so replies cannot be sent.`;
  return (
    <p
      className="mb-2 flex flex-wrap items-center gap-1.5 text-xs text-destructive"
      data-testid="composer-channel-hint"
      data-channel-status={channel.status}
    >
      <Unplug className="size-3.5" aria-hidden />
      {why}
      <Link to="/channels" className="font-medium underline underline-offset-2">
        Go to Channels
      </Link>
    </p>
  );
}

/**
 * Writes and sends a reply. Each composed message gets one Idempotency-Key; retrying the
 * same text after a failure reuses it, so a request that did reach the server is not sent twice.
 */
export function Composer({ conversationId, window, channel }: ComposerProps) {
  const [text, setText] = useState("");
  const draftKey = useRef<{ text: string; key: string } | null>(null);
  const send = useSendMessage();

  const trimmed = text.trim();
  const channelDown = channel !== undefined && channel.status !== "active";
  const canSend = trimmed !== "" && !send.isPending && !channelDown;

  function submit() {
    if (!canSend) return;
    if (draftKey.current?.text !== trimmed) draftKey.current = { text: trimmed, key: uuid() };
    send.mutate(
      { conversationId, text: trimmed, idempotencyKey: draftKey.current.key },
      {
        onSuccess: () => {
          setText("");
          draftKey.current = null;
        },
      },
    );
  }

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    submit();
  }

  function handleKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  const windowError = send.error instanceof ApiError && send.error.status === 409;
  const closed = window?.state === "closed";

  return (
    <form onSubmit={handleSubmit} className="shrink-0 border-t bg-background px-4 pt-3 pb-4 sm:px-6" aria-label="Reply">
      {send.isError && (
        <Alert variant={windowError ? "warning" : "destructive"} className="mb-3" data-testid="composer-error">
          {windowError ? <Lock aria-hidden /> : <AlertCircle aria-hidden />}
          <AlertDescription>{errorMessage(send.error)}</AlertDescription>
        </Alert>
      )}
      {channelDown && !send.isError && <ChannelHint channel={channel} />}
      {closed && !send.isError && !channelDown && (
        <p className="mb-2 flex items-center gap-1.5 text-xs text-muted-foreground" data-testid="composer-window-hint">
          <Lock className="size-3.5" aria-hidden />
          The 24-hour messaging window is closed; Meta may refuse a free-form reply until the customer writes again.
        </p>
      )}
      <div className="flex items-end gap-2 rounded-xl border bg-background p-2 shadow-xs focus-within:border-ring focus-within:ring-[3px] focus-within:ring-ring/30">
        <Textarea
          data-testid="composer-input"
          aria-label="Message"
          placeholder="Write a reply…  (Enter to send, Shift+Enter for a new line)"
          rows={2}
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            if (send.isError) send.reset();
          }}
          onKeyDown={handleKeyDown}
          className="max-h-48 min-h-10 resize-none border-0 p-1.5 shadow-none focus-visible:ring-0"
        />
        <Button type="submit" data-testid="composer-send" disabled={!canSend} className="shrink-0">
          {send.isPending ? <Spinner className="text-primary-foreground" label="Sending" /> : <SendHorizontal aria-hidden />}
          Send
        </Button>
      </div>
    </form>
  );
}
