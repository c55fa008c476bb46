import type { SVGProps } from "react";

import type { ChannelKind } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { channelLabel } from "@/utils/format";

function MessengerGlyph(props: SVGProps<SVGSVGElement>) {
  return (
    <svg viewBox="0 0 24 24" {...props}>
      <path
        fill="currentColor"
        d="M12 2C6.36 2 2 6.13 2 11.7c0 2.91 1.19 5.44 3.14 7.17.16.15.26.35.27.57l.05 1.78a.8.8 0 0 0 1.12.71l1.98-.87a.8.8 0 0 1 .53-.04c.91.25 1.88.38 2.91.38 5.64 0 10-4.13 10-9.7S17.64 2 12 2Z"
      />
      <path fill="#fff" d="m6.3 14.54 2.94-4.66a1.5 1.5 0 0 1 2.17-.4l2.34 1.75a.6.6 0 0 0 .72 0l3.16-2.4c.42-.32.97.18.69.63l-2.94 4.66a1.5 1.5 0 0 1-2.17.4l-2.34-1.75a.6.6 0 0 0-.72 0l-3.16 2.4c-.42.32-.97-.18-.69-.63Z" />
    </svg>
  );
}

function WhatsAppGlyph(props: SVGProps<SVGSVGElement>) {
  return (
    <svg viewBox="0 0 24 24" {...props}>
      <path
        fill="currentColor"
        d="M12.04 2C6.58 2 2.13 6.45 2.13 11.91c0 1.75.46 3.45 1.32 4.95L2.05 22l5.25-1.38a9.87 9.87 0 0 0 4.74 1.21c5.46 0 9.91-4.45 9.91-9.91S17.5 2 12.04 2Z"
      />
      <path
        fill="#fff"
        d="M16.9 14.43c-.27-.14-1.6-.79-1.85-.88-.25-.09-.43-.14-.61.14-.18.27-.7.88-.86 1.06-.16.18-.32.2-.59.07-.27-.14-1.15-.42-2.19-1.35-.81-.72-1.36-1.61-1.52-1.88-.16-.27-.02-.42.12-.56.12-.12.27-.32.41-.48.14-.16.18-.27.27-.45.09-.18.05-.34-.02-.48-.07-.14-.61-1.47-.84-2.01-.22-.53-.45-.46-.61-.47h-.52c-.18 0-.48.07-.73.34-.25.27-.95.93-.95 2.27 0 1.34.98 2.63 1.11 2.81.14.18 1.92 2.93 4.65 4.11.65.28 1.16.45 1.55.58.65.21 1.25.18 1.72.11.52-.08 1.6-.66 1.83-1.29.23-.63.23-1.18.16-1.29-.07-.11-.25-.18-.52-.32Z"
      />
    </svg>
  );
}

const CHANNEL_META: Record<ChannelKind, { color: string; Glyph: typeof MessengerGlyph }> = {
  messenger: { color: "text-[#0a7cff]", Glyph: MessengerGlyph },
  whatsapp: { color: "text-[#25d366]", Glyph: WhatsAppGlyph },
};

export interface ChannelIconProps {
  kind: ChannelKind;
  className?: string;
}

/** The Messenger or WhatsApp mark, in its brand colour. */
export function ChannelIcon({ kind, className }: ChannelIconProps) {
  const meta = CHANNEL_META[kind] ?? CHANNEL_META.messenger;
  const { Glyph } = meta;
  return (
    <Glyph
      role="img"
      aria-label={channelLabel(kind)}
      data-channel-kind={kind}
      className={cn("size-4 shrink-0", meta.color, className)}
    />
  );
}
