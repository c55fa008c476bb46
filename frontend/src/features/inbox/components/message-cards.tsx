import { ExternalLink, Globe, Link2, Mail, MapPin, Phone, ShoppingBag } from "lucide-react";

import { cn } from "@/lib/utils";
import { formatMoney, initials } from "@/utils/format";
import { hostnameOf, openStreetMapUrl, safeExternalUrl } from "@/utils/url";

import type { LinkContent, LocationContent, OrderContent, SharedContact } from "../utils/message-content";

import type { BubbleTone } from "./message-tone";

const CARD = "w-72 max-w-full overflow-hidden rounded-lg";

function coordinate(value: number): string {
  return value.toFixed(5).replace(/\.?0+$/, "");
}

/** A shared place: name, address and a link out to a map (no map tiles are loaded here). */
export function LocationCard({ location, tone }: { location: LocationContent; tone: BubbleTone }) {
  const mapUrl = openStreetMapUrl(location.latitude, location.longitude);
  const website = safeExternalUrl(location.url);
  const coordinates = `${coordinate(location.latitude)}, ${coordinate(location.longitude)}`;
  return (
    <div data-testid="location-card" className={cn(CARD, tone.surface)}>
      {/* A drawn map placeholder: a grid and a pin, nothing fetched. */}
      <a
        href={mapUrl}
        target="_blank"
        rel="noopener noreferrer"
        aria-hidden
        tabIndex={-1}
        className={cn(
          "flex h-24 items-center justify-center bg-[size:16px_16px]",
          tone.outbound
            ? "bg-white/10 bg-[linear-gradient(to_right,rgb(255_255_255/0.12)_1px,transparent_1px),linear-gradient(to_bottom,rgb(255_255_255/0.12)_1px,transparent_1px)]"
            : "bg-emerald-50 bg-[linear-gradient(to_right,rgb(16_185_129/0.12)_1px,transparent_1px),linear-gradient(to_bottom,rgb(16_185_129/0.12)_1px,transparent_1px)]",
        )}
      >
        <MapPin className={cn("size-8 drop-shadow-sm", tone.outbound ? "text-white" : "fill-red-500/20 text-red-500")} />
      </a>
      <div className="grid gap-0.5 px-3 py-2">
        <p className="text-sm font-medium">{location.name ?? "Shared location"}</p>
        {location.address !== null && <p className={cn("text-xs", tone.muted)}>{location.address}</p>}
        <p className={cn("text-xs tabular-nums", tone.muted)}>{coordinates}</p>
        <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-xs font-medium">
          <a href={mapUrl} target="_blank" rel="noopener noreferrer" className={cn("inline-flex items-center gap-1", tone.link)}>
            <ExternalLink className="size-3.5" aria-hidden />
            Open in map
          </a>
          {website !== null && (
            <a href={website} target="_blank" rel="noopener noreferrer" className={cn("inline-flex items-center gap-1", tone.link)}>
              <Globe className="size-3.5" aria-hidden />
              {hostnameOf(website) || "Website"}
            </a>
          )}
        </div>
      </div>
    </div>
  );
}

/** One or more contacts the customer shared (a vCard, as WhatsApp sends it). */
export function ContactCards({ contacts, tone }: { contacts: SharedContact[]; tone: BubbleTone }) {
  if (contacts.length === 0) {
    return <p className={cn("text-sm italic", tone.muted)}>Shared a contact</p>;
  }
  return (
    <div className="grid grid-cols-1 gap-1.5">
      {contacts.map((contact, index) => (
        <div key={index} data-testid="contact-card" className={cn(CARD, "px-3 py-2", tone.surface)}>
          <div className="flex items-center gap-2.5">
            <span
              className={cn(
                "flex size-9 shrink-0 items-center justify-center rounded-full text-xs font-semibold",
                tone.outbound ? "bg-white/25" : "bg-primary/15 text-primary",
              )}
              aria-hidden
            >
              {initials(contact.name ?? contact.phones[0]?.phone)}
            </span>
            <p className="min-w-0 truncate text-sm font-medium">{contact.name ?? "Contact"}</p>
          </div>
          {(contact.phones.length > 0 || contact.emails.length > 0) && (
            <ul className="mt-2 grid gap-1 text-sm">
              {contact.phones.map((phone, i) => (
                <li key={`p${i}`} className="flex min-w-0 items-center gap-2">
                  <Phone className={cn("size-3.5 shrink-0", tone.muted)} aria-hidden />
                  <a href={`tel:${phone.phone.replace(/[^\d+]/g, "")}`} className={cn("shrink-0 tabular-nums", tone.link)}>
                    {phone.phone}
                  </a>
                  {(phone.type !== null || phone.waId !== null) && (
                    <span className={cn("ml-auto min-w-0 truncate text-[11px]", tone.muted)}>
                      {[phone.type?.toLowerCase(), phone.waId !== null ? "WhatsApp" : null].filter(Boolean).join(" · ")}
                    </span>
                  )}
                </li>
              ))}
              {contact.emails.map((email, i) => (
                <li key={`e${i}`} className="flex min-w-0 items-center gap-2">
                  <Mail className={cn("size-3.5 shrink-0", tone.muted)} aria-hidden />
                  <a href={`mailto:${email.email}`} className={cn("truncate", tone.link)}>
                    {email.email}
                  </a>
                  {email.type !== null && <span className={cn("ml-auto shrink-0 text-[11px]", tone.muted)}>{email.type.toLowerCase()}</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
      ))}
    </div>
  );
}

/** A shared link as a card: title and site, nothing fetched from it. */
export function LinkCard({ link, tone }: { link: LinkContent; tone: BubbleTone }) {
  const href = safeExternalUrl(link.url);
  const host = href === null ? "" : hostnameOf(href);
  const body = (
    <>
      <span
        className={cn(
          "flex size-10 shrink-0 items-center justify-center rounded-md",
          tone.outbound ? "bg-white/20" : "bg-primary/10 text-primary",
        )}
      >
        <Link2 className="size-5" aria-hidden />
      </span>
      <span className="min-w-0 flex-1">
        <span className="line-clamp-2 text-sm font-medium break-words">{link.title ?? (host || link.url)}</span>
        <span className={cn("block truncate text-xs", tone.muted)}>{host || link.url}</span>
      </span>
    </>
  );
  const className = cn(CARD, "flex items-center gap-3 px-3 py-2", tone.surface);
  if (href === null) {
    return (
      <div data-testid="link-card" className={className}>
        {body}
      </div>
    );
  }
  return (
    <a
      data-testid="link-card"
      href={href}
      target="_blank"
      rel="noopener noreferrer"
      className={cn(className, "transition-opacity hover:opacity-90")}
    >
      {body}
    </a>
  );
}

/** A WhatsApp catalogue order: line items and the total. */
export function OrderCard({ order, tone }: { order: OrderContent; tone: BubbleTone }) {
  const count = order.items.reduce((sum, item) => sum + item.quantity, 0);
  return (
    <div data-testid="order-card" className={cn(CARD, tone.surface)}>
      <div className="flex items-center gap-2 border-b border-inherit px-3 py-2">
        <ShoppingBag className="size-4 shrink-0" aria-hidden />
        <p className="text-sm font-medium">Order</p>
        <p className={cn("ml-auto text-xs", tone.muted)}>
          {count} {count === 1 ? "item" : "items"}
        </p>
      </div>
      <ul className="grid gap-1 px-3 py-2 text-sm">
        {order.items.map((item, index) => (
          <li key={index} data-testid="order-item" className="flex items-baseline gap-2">
            <span className="min-w-0 flex-1 truncate" title={item.productId}>
              {item.productId}
            </span>
            <span className={cn("shrink-0 text-xs tabular-nums", tone.muted)}>× {item.quantity}</span>
            <span className="w-20 shrink-0 text-right tabular-nums">
              {item.price === null ? "—" : formatMoney(item.price * item.quantity, item.currency)}
            </span>
          </li>
        ))}
      </ul>
      {order.totals.length > 0 && (
        <div data-testid="order-total" className="flex items-baseline gap-2 border-t border-inherit px-3 py-2 text-sm font-semibold">
          <span className="flex-1">Total</span>
          <span className="text-right tabular-nums">
            {order.totals.map((total) => formatMoney(total.amount, total.currency)).join(" + ")}
          </span>
        </div>
      )}
      {order.note !== null && (
        <p className={cn("border-t border-inherit px-3 py-2 text-sm whitespace-pre-wrap break-words")}>{order.note}</p>
      )}
    </div>
  );
}
