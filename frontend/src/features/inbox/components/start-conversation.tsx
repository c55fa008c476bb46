import { MessageSquarePlus } from "lucide-react";
import { useId, useRef, useState } from "react";
import { useNavigate } from "react-router";

import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { useCan } from "@/features/auth/hooks/use-can";
import { useChannels } from "@/features/channels/api/get-channels";
import { TemplatePicker } from "@/features/templates/components/template-picker";
import { ApiError } from "@/lib/api/errors";
import type { Channel, TemplateChoice } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { uuid } from "@/utils/id";

import { useStartConversation } from "../api/start-conversation";
import { phoneProblem } from "../utils/phone";

function whatsappChannels(channels: readonly Channel[] | undefined): Channel[] {
  return (channels ?? []).filter((channel) => channel.kind === "whatsapp" && channel.status === "active");
}

function StartConversationForm({ channels, onStarted }: { channels: Channel[]; onStarted: (conversationId: string) => void }) {
  const start = useStartConversation();
  const [channelId, setChannelId] = useState(channels[0]?.id ?? "");
  const [phone, setPhone] = useState("");
  const [phoneTouched, setPhoneTouched] = useState(false);
  const [serverPhoneError, setServerPhoneError] = useState<string | null>(null);
  const keys = useRef(new Map<string, string>());
  const ids = { channel: useId(), phone: useId() };

  const localProblem = phoneProblem(phone);
  const phoneError = serverPhoneError ?? (phoneTouched ? localProblem : null);

  async function submit(choice: TemplateChoice) {
    setPhoneTouched(true);
    if (localProblem !== null) throw new Error("Check the phone number above.");
    const body = { channel_id: channelId, phone: phone.trim(), template: choice };
    const fingerprint = JSON.stringify(body);
    let key = keys.current.get(fingerprint);
    if (key === undefined) {
      key = uuid();
      keys.current.set(fingerprint, key);
    }
    try {
      const started = await start.mutateAsync({ ...body, idempotencyKey: key });
      onStarted(started.conversation.id);
    } catch (error) {
      const phoneField = error instanceof ApiError ? error.fields.find((f) => f.field === "phone") : undefined;
      if (phoneField !== undefined) {
        setServerPhoneError(phoneField.message);
        throw new Error("Check the phone number above.", { cause: error });
      }
      throw error;
    }
  }

  return (
    <div className="grid gap-4">
      <div className="grid gap-3 sm:grid-cols-2">
        <div className="grid gap-1.5">
          <Label htmlFor={ids.channel} className="text-xs">
            From
          </Label>
          <select
            id={ids.channel}
            value={channelId}
            onChange={(event) => setChannelId(event.target.value)}
            data-testid="start-channel"
            className="h-9 rounded-md border border-input bg-background px-2 text-sm shadow-xs outline-none focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/40"
          >
            {channels.map((channel) => (
              <option key={channel.id} value={channel.id}>
                {channel.name}
                {channel.display_phone_number ? ` (${channel.display_phone_number})` : ""}
              </option>
            ))}
          </select>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor={ids.phone} className="text-xs">
            Customer's WhatsApp number
          </Label>
          <Input
            id={ids.phone}
            type="tel"
            inputMode="tel"
            autoComplete="off"
            placeholder="+44 20 7946 0003"
            value={phone}
            onChange={(event) => {
              setPhone(event.target.value);
              setServerPhoneError(null);
            }}
            onBlur={() => setPhoneTouched(true)}
            aria-invalid={phoneError !== null || undefined}
            aria-describedby={`${ids.phone}-hint`}
            className={cn("h-9")}
            data-testid="start-phone"
          />
          <p
            id={`${ids.phone}-hint`}
            className={cn("text-xs", phoneError !== null ? "text-destructive" : "text-muted-foreground")}
            data-testid={phoneError !== null ? "start-phone-error" : undefined}
          >
            {phoneError ?? "International format with the country code."}
          </p>
        </div>
      </div>
      {channelId !== "" && (
        <TemplatePicker key={channelId} channelId={channelId} submitLabel="Start conversation" onSubmit={submit} />
      )}
    </div>
  );
}

/**
 * "New conversation": write first to a WhatsApp number with an approved template (Meta
 * allows nothing else to open a conversation), then open it.
 */
export function StartConversationButton({ className }: { className?: string }) {
  const canWrite = useCan("conversations:write") === true;
  const channels = useChannels();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const usable = whatsappChannels(channels.data?.items);
  if (!canWrite || usable.length === 0) return null;

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="outline" size="sm" className={cn("h-8 gap-1.5", className)} data-testid="start-conversation">
          <MessageSquarePlus aria-hidden />
          <span className="hidden sm:inline">New</span>
          <span className="sr-only sm:hidden">New WhatsApp conversation</span>
        </Button>
      </DialogTrigger>
      <DialogContent className="max-h-[calc(100dvh-2rem)] overflow-y-auto sm:max-w-3xl" data-testid="start-conversation-dialog">
        <div className="grid gap-1 pr-6">
          <DialogTitle>New WhatsApp conversation</DialogTitle>
          <DialogDescription>WhatsApp lets a business write first only with an approved template.</DialogDescription>
        </div>
        {open && (
          <StartConversationForm
            channels={usable}
            onStarted={(conversationId) => {
              setOpen(false);
              void navigate(`/inbox/${conversationId}`);
            }}
          />
        )}
      </DialogContent>
    </Dialog>
  );
}
