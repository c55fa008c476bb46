import { ArrowLeft } from "lucide-react";
import { Link } from "react-router";

import { ChannelIcon } from "@/components/channel-icon";
import { Badge } from "@/components/ui/badge";
import type { Conversation } from "@/lib/api/types";

import { ContactAvatar } from "./contact-avatar";
import { WindowBadge } from "./window-badge";

const STATUS_LABEL: Record<Conversation["status"], string> = {
  open: "Open",
  pending: "Pending",
  resolved: "Resolved",
  snoozed: "Snoozed",
};

export function ThreadHeader({ conversation }: { conversation: Conversation }) {
  return (
    <header data-testid="thread-header" className="flex h-16 shrink-0 items-center gap-3 border-b bg-background px-4 sm:px-6">
      <Link
        to="/inbox"
        className="-ml-1 rounded-md p-1 text-muted-foreground hover:bg-accent md:hidden"
        aria-label="Back to conversations"
      >
        <ArrowLeft className="size-5" />
      </Link>
      <ContactAvatar conversation={conversation} className="size-9" showChannel={false} />
      <div className="min-w-0 flex-1">
        <h2 data-testid="thread-contact-name" className="truncate text-sm font-semibold">
          {conversation.contact.name || conversation.contact.external_id}
        </h2>
        <p className="flex items-center gap-1.5 truncate text-xs text-muted-foreground">
          <ChannelIcon kind={conversation.channel.kind} className="size-3.5" />
          <span data-testid="thread-channel-name" className="truncate">
            {conversation.channel.name}
          </span>
        </p>
      </div>
      <div className="flex shrink-0 items-center gap-2">
        <Badge variant="outline" className="hidden text-muted-foreground lg:inline-flex">
          {STATUS_LABEL[conversation.status]}
        </Badge>
        <WindowBadge window={conversation.window} />
      </div>
    </header>
  );
}
