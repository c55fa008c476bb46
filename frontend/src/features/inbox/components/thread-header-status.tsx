import { AlarmClock, CalendarClock, CheckCircle2, ChevronDown, CircleDot, Hourglass, RotateCcw } from "lucide-react";
import { useId, useState, type FormEvent } from "react";

import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import type { ConversationStatus } from "@/lib/api/types";

import { primaryStatusAction, SNOOZE_PRESETS, snoozeProblem, toLocalInputValue, tomorrowMorning } from "../utils/snooze";

export interface StatusActions {
  setStatus: (status: Exclude<ConversationStatus, "snoozed">) => void;
  snooze: (until: Date) => void;
  openCustomSnooze: () => void;
}

/** The status menu's items: the other statuses and the snooze presets. */
export function StatusMenuItems({ status, actions }: { status: ConversationStatus; actions: StatusActions }) {
  return (
    <>
      {status !== "open" && status !== "resolved" && status !== "snoozed" && (
        <DropdownMenuItem onSelect={() => actions.setStatus("open")} data-testid="status-open">
          <CircleDot aria-hidden />
          Mark as open
        </DropdownMenuItem>
      )}
      {status !== "pending" && (
        <DropdownMenuItem onSelect={() => actions.setStatus("pending")} data-testid="status-pending">
          <Hourglass aria-hidden />
          Mark as pending
        </DropdownMenuItem>
      )}
      <DropdownMenuSeparator />
      <DropdownMenuLabel>Snooze until…</DropdownMenuLabel>
      {SNOOZE_PRESETS.map((preset) => (
        <DropdownMenuItem
          key={preset.id}
          onSelect={() => actions.snooze(preset.at(new Date()))}
          data-testid={`snooze-${preset.id}`}
        >
          <AlarmClock aria-hidden />
          {preset.label}
        </DropdownMenuItem>
      ))}
      <DropdownMenuItem onSelect={() => actions.openCustomSnooze()} data-testid="snooze-custom">
        <CalendarClock aria-hidden />
        Pick date and time…
      </DropdownMenuItem>
    </>
  );
}

/** "Resolve" (or "Reopen") with a menu beside it for pending and snooze. */
export function StatusControl({
  status,
  actions,
  disabled,
}: {
  status: ConversationStatus;
  actions: StatusActions;
  disabled?: boolean;
}) {
  const primary = primaryStatusAction(status);
  return (
    <div className="flex items-center">
      <Button
        size="sm"
        variant={primary.to === "resolved" ? "default" : "outline"}
        className="rounded-r-none"
        onClick={() => actions.setStatus(primary.to)}
        disabled={disabled}
        data-testid="status-primary"
      >
        {primary.to === "resolved" ? <CheckCircle2 aria-hidden /> : <RotateCcw aria-hidden />}
        {primary.label}
      </Button>
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button
            size="sm"
            variant={primary.to === "resolved" ? "default" : "outline"}
            className="rounded-l-none border-l border-l-primary-foreground/25 px-2"
            aria-label="More status options"
            disabled={disabled}
            data-testid="status-menu"
          >
            <ChevronDown aria-hidden />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end">
          <StatusMenuItems status={status} actions={actions} />
        </DropdownMenuContent>
      </DropdownMenu>
    </div>
  );
}

/** Snooze until a moment the agent picks (local time; at most a year ahead). */
export function SnoozeDialog({
  open,
  onOpenChange,
  onSnooze,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onSnooze: (until: Date) => void;
}) {
  const inputId = useId();
  const [value, setValue] = useState(() => toLocalInputValue(tomorrowMorning(new Date())));
  const [problem, setProblem] = useState<string | null>(null);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const now = new Date();
    const why = snoozeProblem(value, now);
    setProblem(why);
    if (why !== null) return;
    onSnooze(new Date(value));
    onOpenChange(false);
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="sm:max-w-sm" data-testid="snooze-dialog">
        <div className="grid gap-1">
          <DialogTitle>Snooze conversation</DialogTitle>
          <DialogDescription>It comes back as open at this time, or sooner if the customer writes.</DialogDescription>
        </div>
        <form onSubmit={submit} className="grid gap-4" noValidate>
          <div className="grid gap-2">
            <Label htmlFor={inputId}>Until</Label>
            <Input
              id={inputId}
              type="datetime-local"
              value={value}
              min={toLocalInputValue(new Date())}
              onChange={(event) => {
                setValue(event.target.value);
                setProblem(null);
              }}
              aria-invalid={problem !== null || undefined}
              aria-describedby={problem !== null ? `${inputId}-problem` : undefined}
              data-testid="snooze-input"
            />
            {problem !== null && (
              <p id={`${inputId}-problem`} className="text-xs text-destructive" role="alert">
                {problem}
              </p>
            )}
          </div>
          <div className="flex justify-end gap-2">
            <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" data-testid="snooze-submit">
              Snooze
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
