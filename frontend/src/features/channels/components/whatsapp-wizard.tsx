import { ArrowLeft, Building2, Check, ChevronRight, Phone } from "lucide-react";
import { useState, type FormEvent, type ReactNode } from "react";
import { Link, useNavigate } from "react-router";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { ApiError, errorMessage } from "@/lib/api/errors";
import type { MetaBusiness, PhoneNumber, WhatsAppAccount } from "@/lib/api/types";
import { cn } from "@/lib/utils";

import { useConnectWhatsApp } from "../api/connect-whatsapp";
import { useBusinesses } from "../api/get-businesses";
import { usePhoneNumbers } from "../api/get-phone-numbers";
import { useWhatsAppAccounts } from "../api/get-whatsapp-accounts";
import { useCanManageChannels } from "../hooks/use-can-manage-channels";
import { numberUnavailableReason } from "../utils/availability";

import { LoadError, LoadingBlock, StartAgainButton } from "./connect-layout";
import type { ConnectedNotice } from "./connect-notices";

type Step = "business" | "waba" | "number";

const STEPS: { step: Step; label: string }[] = [
  { step: "business", label: "Business" },
  { step: "waba", label: "WhatsApp Business Account" },
  { step: "number", label: "Phone number" },
];

// Meta's quality rating for a number; anything else (or none) reads as not rated.
const QUALITY: Record<string, { label: string; dot: string }> = {
  GREEN: { label: "High quality", dot: "bg-emerald-500" },
  YELLOW: { label: "Medium quality", dot: "bg-amber-400" },
  RED: { label: "Low quality", dot: "bg-red-500" },
};
const UNRATED = { label: "Quality not rated yet", dot: "bg-zinc-400" };

function StepIndicator({ current }: { current: Step }) {
  const index = STEPS.findIndex((s) => s.step === current);
  return (
    <ol data-testid="wizard-steps" className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm">
      {STEPS.map(({ step, label }, i) => {
        const state = i < index ? "done" : i === index ? "current" : "upcoming";
        return (
          <li
            key={step}
            data-testid="wizard-step"
            data-step={step}
            data-state={state}
            aria-current={state === "current" ? "step" : undefined}
            className="flex items-center gap-2"
          >
            <span
              className={cn(
                "flex size-6 items-center justify-center rounded-full border text-xs font-semibold",
                state === "current" && "border-primary bg-primary text-primary-foreground",
                state === "done" && "border-primary/40 bg-primary/10 text-primary",
                state === "upcoming" && "text-muted-foreground",
              )}
            >
              {state === "done" ? <Check className="size-3.5" aria-hidden /> : i + 1}
            </span>
            <span className={cn(state === "upcoming" ? "text-muted-foreground" : "font-medium")}>{label}</span>
            {i < STEPS.length - 1 && <ChevronRight className="size-4 text-muted-foreground" aria-hidden />}
          </li>
        );
      })}
    </ol>
  );
}

function OptionList({ children, label }: { children: ReactNode; label: string }) {
  return (
    <ul aria-label={label} className="divide-y overflow-hidden rounded-xl border bg-card">
      {children}
    </ul>
  );
}

const OPTION_CLASS =
  "flex w-full items-center gap-3 px-4 py-3 text-left transition-colors outline-none hover:bg-accent/60 focus-visible:bg-accent disabled:cursor-not-allowed disabled:hover:bg-transparent";

function BackButton({ onClick }: { onClick: () => void }) {
  return (
    <Button type="button" variant="ghost" data-testid="wizard-back" onClick={onClick}>
      <ArrowLeft aria-hidden />
      Back
    </Button>
  );
}

function BusinessStep({ accountId, onPick }: { accountId: string; onPick: (business: MetaBusiness) => void }) {
  const businesses = useBusinesses(accountId);
  if (businesses.isPending) return <LoadingBlock label="Loading your businesses…" />;
  if (businesses.isError) return <LoadError error={businesses.error} onRetry={() => void businesses.refetch()} />;
  if (businesses.data.length === 0) {
    return (
      <EmptyState
        icon={Building2}
        title="No businesses found"
        description="The Facebook account you signed in with manages no business portfolio, or did not grant Parley access to it. Start again and select your business in the Facebook dialog."
      >
        <StartAgainButton />
      </EmptyState>
    );
  }
  return (
    <OptionList label="Businesses">
      {businesses.data.map((business) => (
        <li key={business.id}>
          <button
            type="button"
            data-testid="business-option"
            data-business-id={business.id}
            className={OPTION_CLASS}
            onClick={() => onPick(business)}
          >
            <Building2 className="size-5 shrink-0 text-muted-foreground" aria-hidden />
            <span className="flex-1 truncate text-sm font-medium">{business.name}</span>
            <ChevronRight className="size-4 text-muted-foreground" aria-hidden />
          </button>
        </li>
      ))}
    </OptionList>
  );
}

function WabaStep({
  accountId,
  business,
  onPick,
}: {
  accountId: string;
  business: MetaBusiness;
  onPick: (waba: WhatsAppAccount) => void;
}) {
  const accounts = useWhatsAppAccounts(accountId, business.id);
  if (accounts.isPending) return <LoadingBlock label="Loading WhatsApp Business Accounts…" />;
  if (accounts.isError) return <LoadError error={accounts.error} onRetry={() => void accounts.refetch()} />;
  if (accounts.data.length === 0) {
    return (
      <EmptyState
        icon={Phone}
        title="No WhatsApp Business Accounts"
        description={`${business.name} has no WhatsApp Business Account that was shared with Parley. Pick another business, or add one in WhatsApp Manager.`}
      />
    );
  }
  return (
    <OptionList label="WhatsApp Business Accounts">
      {accounts.data.map((waba) => (
        <li key={waba.id}>
          <button
            type="button"
            data-testid="waba-option"
            data-waba-id={waba.id}
            data-ownership={waba.ownership}
            className={OPTION_CLASS}
            onClick={() => onPick(waba)}
          >
            <span className="grid min-w-0 flex-1">
              <span className="truncate text-sm font-medium">{waba.name}</span>
              <span className="truncate text-xs text-muted-foreground">ID {waba.id}</span>
            </span>
            <Badge variant={waba.ownership === "owned" ? "secondary" : "outline"}>
              {waba.ownership === "owned" ? "Owned" : "Client"}
            </Badge>
            <ChevronRight className="size-4 text-muted-foreground" aria-hidden />
          </button>
        </li>
      ))}
    </OptionList>
  );
}

function NumberOption({ number, selected, onSelect }: { number: PhoneNumber; selected: boolean; onSelect: () => void }) {
  const reason = numberUnavailableReason(number);
  const rating = number.quality_rating?.toUpperCase() ?? "UNKNOWN";
  const quality = QUALITY[rating] ?? UNRATED;
  return (
    <li>
      <button
        type="button"
        role="radio"
        aria-checked={selected}
        data-testid="number-option"
        data-number-id={number.id}
        disabled={reason !== null}
        className={cn(OPTION_CLASS, selected && "bg-primary/5")}
        onClick={onSelect}
      >
        <span
          aria-hidden
          className={cn(
            "flex size-4 shrink-0 items-center justify-center rounded-full border",
            selected ? "border-primary" : "border-input",
          )}
        >
          {selected && <span className="size-2 rounded-full bg-primary" />}
        </span>
        <span className={cn("grid min-w-0 flex-1", reason !== null && "opacity-60")}>
          <span className="flex items-center gap-2 text-sm font-medium">
            {number.display_phone_number}
            <span
              data-testid="number-quality"
              data-quality={rating}
              title={quality.label}
              className={cn("size-2 rounded-full", quality.dot)}
            />
            <span className="sr-only">{quality.label}</span>
          </span>
          <span className="truncate text-xs text-muted-foreground">
            {[number.verified_name, metaNumberStatus(number.status)].filter(Boolean).join(" · ")}
          </span>
        </span>
        {reason !== null && <span className="shrink-0 text-xs text-muted-foreground">{reason}</span>}
      </button>
    </li>
  );
}

function NumberStep({ accountId, waba, onBack }: { accountId: string; waba: WhatsAppAccount; onBack: () => void }) {
  const numbers = usePhoneNumbers(accountId, waba.id);
  const connect = useConnectWhatsApp();
  const canManage = useCanManageChannels();
  const navigate = useNavigate();
  const [numberId, setNumberId] = useState<string | null>(null);
  const [makePrimary, setMakePrimary] = useState(false);

  if (numbers.isPending) return <LoadingBlock label="Loading phone numbers…" />;
  if (numbers.isError) {
    return (
      <div className="grid justify-items-start gap-3">
        <LoadError error={numbers.error} onRetry={() => void numbers.refetch()} />
        <BackButton onClick={onBack} />
      </div>
    );
  }

  // A refetch (after a 409) may have made the picked number unavailable.
  const chosen = numbers.data.find((n) => n.id === numberId && numberUnavailableReason(n) === null);

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (chosen === undefined || connect.isPending) return;
    connect.mutate(
      { accountId, waba_id: waba.id, phone_number_id: chosen.id, make_primary: makePrimary },
      {
        onSuccess: (channel) => {
          const notice: ConnectedNotice = { notice: `Connected ${channel.display_phone_number ?? channel.name}.` };
          void navigate("/channels", { state: notice });
        },
        onError: (error) => {
          if (error instanceof ApiError && error.status === 409) void numbers.refetch();
        },
      },
    );
  }

  return (
    <form onSubmit={handleSubmit} className="grid gap-5" aria-label="Choose a phone number">
      {numbers.data.length === 0 ? (
        <EmptyState
          icon={Phone}
          title="No phone numbers"
          description={`${waba.name} has no phone numbers yet. Add and verify one in WhatsApp Manager, then start again.`}
        />
      ) : (
        <div role="radiogroup" aria-label="Phone numbers">
          <OptionList label="Phone numbers">
            {numbers.data.map((number) => (
              <NumberOption
                key={number.id}
                number={number}
                selected={chosen?.id === number.id}
                onSelect={() => {
                  setNumberId(number.id);
                  if (connect.isError) connect.reset();
                }}
              />
            ))}
          </OptionList>
        </div>
      )}

      <label htmlFor="make-primary" className="flex cursor-pointer items-start gap-3 rounded-xl border px-4 py-3">
        <Checkbox
          id="make-primary"
          data-testid="make-primary"
          className="mt-0.5"
          checked={makePrimary}
          onCheckedChange={setMakePrimary}
        />
        <span className="grid gap-0.5">
          <span className="text-sm font-medium">Make this our primary WhatsApp number</span>
          <span className="text-xs text-muted-foreground">
            The number Parley uses first when it starts a WhatsApp conversation.
          </span>
        </span>
      </label>

      {connect.isError && (
        <Alert variant="destructive" data-testid="connect-number-error">
          <AlertDescription>{errorMessage(connect.error)}</AlertDescription>
        </Alert>
      )}
      {!canManage && (
        <p className="text-sm text-muted-foreground">Only owners and admins of this workspace can connect numbers.</p>
      )}

      <div className="flex items-center justify-between gap-2">
        <BackButton onClick={onBack} />
        <Button
          type="submit"
          data-testid="connect-number-submit"
          disabled={!canManage || chosen === undefined || connect.isPending}
        >
          {connect.isPending && <Spinner className="text-primary-foreground" label="Connecting" />}
          Connect number
        </Button>
      </div>
    </form>
  );
}

/** Business → WhatsApp Business Account → phone number, then connect it. */
export function WhatsAppWizard({ accountId }: { accountId: string }) {
  const [business, setBusiness] = useState<MetaBusiness | null>(null);
  const [waba, setWaba] = useState<WhatsAppAccount | null>(null);
  const step: Step = business === null ? "business" : waba === null ? "waba" : "number";

  return (
    <div className="grid gap-6">
      <StepIndicator current={step} />
      {business !== null && (
        <p className="text-sm text-muted-foreground">
          Business: <span className="font-medium text-foreground">{business.name}</span>
          {waba !== null && (
            <>
              {" · "}WhatsApp account: <span className="font-medium text-foreground">{waba.name}</span>
            </>
          )}
        </p>
      )}
      {step === "business" && (
        <>
          <BusinessStep accountId={accountId} onPick={setBusiness} />
          <div>
            <Button asChild variant="ghost">
              <Link to="/channels">Cancel</Link>
            </Button>
          </div>
        </>
      )}
      {step === "waba" && business !== null && (
        <>
          <WabaStep accountId={accountId} business={business} onPick={setWaba} />
          <div>
            <BackButton onClick={() => setBusiness(null)} />
          </div>
        </>
      )}
      {step === "number" && waba !== null && (
        <NumberStep key={waba.id} accountId={accountId} waba={waba} onBack={() => setWaba(null)} />
      )}
    </div>
  );
}

/** Meta's own registration status, worded so it is not read as "connected to Parley". */
function metaNumberStatus(status: string | null | undefined): string | null {
  if (!status) return null;
  if (status === "CONNECTED") return "registered with WhatsApp";
  return `WhatsApp status: ${status.toLowerCase().replace(/_/g, " ")}`;
}
