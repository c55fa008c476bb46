import { Plug } from "lucide-react";

import { LoadError } from "@/components/load-error";
import { EmptyState } from "@/components/ui/empty-state";

import { useChannels } from "../api/get-channels";
import { useCanManageChannels } from "../hooks/use-can-manage-channels";

import { ChannelCard } from "./channel-card";
import { ConnectChannelCards } from "./connect-channel-cards";

function ListSkeleton() {
  return (
    <div aria-hidden className="grid gap-3">
      {Array.from({ length: 2 }, (_, i) => (
        <div key={i} className="flex animate-pulse gap-4 rounded-xl border p-5">
          <div className="size-11 rounded-xl bg-muted" />
          <div className="flex-1 space-y-2 py-1">
            <div className="h-3.5 w-1/3 rounded bg-muted" />
            <div className="h-3 w-1/4 rounded bg-muted" />
          </div>
        </div>
      ))}
    </div>
  );
}

/** Connect calls to action (owners and admins) and a card per channel. */
export function ChannelList() {
  const query = useChannels();
  const canManage = useCanManageChannels();
  const channels = query.data?.items ?? [];

  if (query.isPending) return <ListSkeleton />;
  if (query.isError) {
    return (
      <LoadError error={query.error} onRetry={() => void query.refetch()} testId="channels-error" />
    );
  }

  if (channels.length === 0) {
    if (!canManage) {
      return (
        <EmptyState
          icon={Plug}
          title="No channels yet"
          description="Ask an owner or admin of this workspace to connect a Facebook Page or a WhatsApp number."
        />
      );
    }
    return (
      <section aria-labelledby="connect-first" className="grid gap-3">
        <div>
          <h2 id="connect-first" className="text-base font-semibold">
            Connect your first channel
          </h2>
          <p className="text-sm text-muted-foreground">
            Messages to your Facebook Page or WhatsApp number then arrive in the shared inbox.
          </p>
        </div>
        <ConnectChannelCards />
      </section>
    );
  }

  return (
    <div className="grid gap-8">
      {canManage && (
        <section aria-label="Connect a channel">
          <ConnectChannelCards />
        </section>
      )}
      <section aria-labelledby="connected-channels" className="grid gap-3">
        <h2 id="connected-channels" className="text-sm font-semibold text-muted-foreground">
          Your channels ({channels.length})
        </h2>
        <ul className="grid gap-3">
          {channels.map((channel) => (
            <li key={channel.id}>
              <ChannelCard channel={channel} canManage={canManage} />
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
