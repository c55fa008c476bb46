import { useRef, useState, type KeyboardEvent } from "react";

import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api/errors";
import type { Channel } from "@/lib/api/types";
import { cn } from "@/lib/utils";

import { useRenameChannel } from "../api/rename-channel";

const NAME_CLASS = "truncate text-base font-semibold leading-tight";

/**
 * The channel's name; for owners and admins an inline field: Enter or leaving it saves,
 * Escape puts the old name back.
 */
export function ChannelNameEditor({ channel, editable }: { channel: Channel; editable: boolean }) {
  if (!editable) {
    return (
      <h3 data-testid="channel-name" className={NAME_CLASS} title={channel.name}>
        {channel.name}
      </h3>
    );
  }
  // Keyed on the saved name: a rename (ours or a teammate's) resets the field.
  return <RenameField key={channel.name} channel={channel} />;
}

function RenameField({ channel }: { channel: Channel }) {
  const [value, setValue] = useState(channel.name);
  const cancelled = useRef(false);
  const rename = useRenameChannel();

  function commit() {
    const name = value.trim();
    if (cancelled.current || name === "" || name === channel.name) {
      cancelled.current = false;
      setValue(channel.name);
      return;
    }
    rename.mutate({ channelId: channel.id, name }, { onError: () => setValue(channel.name) });
  }

  function handleKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "Enter") {
      event.preventDefault();
      event.currentTarget.blur();
    } else if (event.key === "Escape") {
      cancelled.current = true;
      event.currentTarget.blur();
    }
  }

  return (
    <div className="grid min-w-0 gap-1">
      <div className="flex min-w-0 items-center gap-2">
        <input
          data-testid="channel-rename"
          aria-label={`Rename ${channel.name}`}
          title="Click to rename"
          value={value}
          maxLength={200}
          disabled={rename.isPending}
          onChange={(event) => {
            setValue(event.target.value);
            if (rename.isError) rename.reset();
          }}
          onBlur={commit}
          onKeyDown={handleKeyDown}
          className={cn(
            NAME_CLASS,
            "-mx-1.5 min-w-0 flex-1 rounded-md border border-transparent bg-transparent px-1.5 py-0.5 outline-none",
            "hover:border-input focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/30",
          )}
        />
        {rename.isPending && <Spinner label="Saving name" />}
      </div>
      {rename.isError && (
        <p data-testid="channel-rename-error" role="alert" className="text-xs text-destructive">
          {errorMessage(rename.error)}
        </p>
      )}
    </div>
  );
}
