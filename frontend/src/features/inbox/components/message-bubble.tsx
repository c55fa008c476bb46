import { AlertCircle, Paperclip } from "lucide-react";
import { memo } from "react";

import type { Message } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { clockTime } from "@/utils/format";

import { MessageStatusIcon } from "./message-status";

function MessageBody({ message }: { message: Message }) {
  if (message.text !== null && message.text !== "") {
    return <p className="whitespace-pre-wrap break-words">{message.text}</p>;
  }
  const attachments = message.attachments?.length ?? 0;
  if (attachments > 0) {
    return (
      <p className="flex items-center gap-1.5 italic opacity-90">
        <Paperclip className="size-3.5" aria-hidden />
        {attachments === 1 ? "Attachment" : `${attachments} attachments`}
      </p>
    );
  }
  return <p className="italic opacity-80">Unsupported message ({message.type})</p>;
}

export const MessageBubble = memo(function MessageBubble({ message }: { message: Message }) {
  const outbound = message.direction === "outbound";
  const failed = message.status === "failed";
  return (
    <div
      data-testid="message-bubble"
      data-message-id={message.id}
      data-direction={message.direction}
      data-status={message.status}
      className={cn("flex flex-col gap-1", outbound ? "items-end" : "items-start")}
    >
      <div
        className={cn(
          "max-w-[min(75%,36rem)] rounded-2xl px-3.5 py-2 text-sm leading-relaxed shadow-xs",
          outbound
            ? "rounded-br-md bg-bubble-outbound text-primary-foreground"
            : "rounded-bl-md bg-bubble-inbound text-foreground",
          failed && "bg-bubble-outbound/75 ring-2 ring-destructive/60",
        )}
      >
        <MessageBody message={message} />
        <div
          className={cn(
            "mt-0.5 flex items-center justify-end gap-1 text-[11px] tabular-nums",
            outbound ? "text-primary-foreground/75" : "text-muted-foreground",
          )}
        >
          <time dateTime={message.sent_at ?? message.created_at}>{clockTime(message.created_at)}</time>
          {outbound && <MessageStatusIcon status={message.status} />}
        </div>
      </div>
      {failed && (
        <p data-testid="message-error" className="flex max-w-[75%] items-center gap-1 text-xs text-destructive">
          <AlertCircle className="size-3.5 shrink-0" aria-hidden />
          <span>Not delivered: {message.error?.reason ?? "the message could not be sent."}</span>
        </p>
      )}
    </div>
  );
});
