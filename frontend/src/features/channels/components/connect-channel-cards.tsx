import { ArrowRight } from "lucide-react";

import { ChannelIcon } from "@/components/channel-icon";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api/errors";
import type { MetaProduct } from "@/lib/api/types";
import { cn } from "@/lib/utils";

import { useStartConnect } from "../api/start-connect";

const OPTIONS: { product: MetaProduct; title: string; asked: string; testId: string }[] = [
  {
    product: "messenger",
    title: "Connect a Facebook Page",
    asked: "Facebook asks you to pick the Pages Parley may manage and to let it read and send their messages.",
    testId: "connect-messenger",
  },
  {
    product: "whatsapp",
    title: "Connect WhatsApp",
    asked: "Facebook asks you to pick your business and its WhatsApp account; you then choose the number here.",
    testId: "connect-whatsapp",
  },
];

/** The two ways in: each card sends the browser to Facebook's login dialog for its product. */
export function ConnectChannelCards() {
  const start = useStartConnect();
  const busy = start.isPending || start.isSuccess;

  return (
    <div className="grid gap-3">
      <div className="grid gap-3 sm:grid-cols-2">
        {OPTIONS.map(({ product, title, asked, testId }) => {
          const mine = busy && start.variables === product;
          return (
            <button
              key={product}
              type="button"
              data-testid={testId}
              disabled={busy}
              onClick={() => start.mutate(product)}
              className={cn(
                "group flex items-start gap-4 rounded-xl border bg-card p-5 text-left shadow-sm transition-colors outline-none",
                "hover:border-primary/40 hover:bg-accent/40 focus-visible:ring-[3px] focus-visible:ring-ring/50",
                "disabled:cursor-not-allowed disabled:opacity-70",
              )}
            >
              <span className="flex size-11 shrink-0 items-center justify-center rounded-xl bg-muted">
                <ChannelIcon kind={product} className="size-6" />
              </span>
              <span className="grid min-w-0 flex-1 gap-1">
                <span className="flex items-center gap-2 text-sm font-semibold">
                  {title}
                  {mine ? (
                    <Spinner label="Opening Facebook" />
                  ) : (
                    <ArrowRight
                      className="size-4 text-muted-foreground transition-transform group-hover:translate-x-0.5"
                      aria-hidden
                    />
                  )}
                </span>
                <span className="text-sm text-muted-foreground">{asked}</span>
              </span>
            </button>
          );
        })}
      </div>
      {start.isError && (
        <p data-testid="connect-start-error" role="alert" className="text-sm text-destructive">
          {errorMessage(start.error)}
        </p>
      )}
    </div>
  );
}
