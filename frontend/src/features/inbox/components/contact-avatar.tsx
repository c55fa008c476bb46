import { useState } from "react";

import { ChannelIcon } from "@/components/channel-icon";
import type { Conversation } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { initials } from "@/utils/format";

// A stable pastel per contact, so people are recognisable at a glance.
const TINTS = [
  "bg-sky-100 text-sky-800",
  "bg-emerald-100 text-emerald-800",
  "bg-amber-100 text-amber-800",
  "bg-rose-100 text-rose-800",
  "bg-violet-100 text-violet-800",
  "bg-teal-100 text-teal-800",
  "bg-orange-100 text-orange-800",
  "bg-indigo-100 text-indigo-800",
];

function tintFor(key: string): string {
  let hash = 0;
  for (let i = 0; i < key.length; i += 1) hash = (hash * 31 + key.charCodeAt(i)) | 0;
  return TINTS[Math.abs(hash) % TINTS.length] ?? "bg-muted";
}

export interface ContactAvatarProps {
  conversation: Pick<Conversation, "contact" | "channel">;
  className?: string;
  showChannel?: boolean;
}

/**
 * Initials on a tint, with the profile picture laid over them when there is one. The
 * initials stay underneath so a broken or transparent picture never leaves a blank circle.
 */
export function ContactAvatar({ conversation, className, showChannel = true }: ContactAvatarProps) {
  const { contact, channel } = conversation;
  const [broken, setBroken] = useState<string | null>(null);
  const picture = contact.avatar_url !== null && contact.avatar_url !== broken ? contact.avatar_url : null;
  return (
    <div className="relative shrink-0">
      <span
        data-slot="avatar"
        className={cn(
          "relative flex size-10 items-center justify-center overflow-hidden rounded-full text-sm font-semibold",
          tintFor(contact.id),
          className,
        )}
      >
        <span aria-hidden>{initials(contact.name ?? contact.external_id)}</span>
        {picture !== null && (
          <img
            src={picture}
            alt=""
            loading="lazy"
            referrerPolicy="no-referrer"
            className="absolute inset-0 size-full object-cover"
            onError={() => setBroken(picture)}
          />
        )}
      </span>
      {showChannel && (
        <span className="absolute -right-0.5 -bottom-0.5 flex rounded-full bg-background p-[2px] shadow-sm">
          <ChannelIcon kind={channel.kind} className="size-3.5" />
        </span>
      )}
    </div>
  );
}
