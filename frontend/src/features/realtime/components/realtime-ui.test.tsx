import { act, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Conversation } from "@/lib/api/types";
import { realtimeStore, type RealtimeSession } from "@/lib/realtime-store";
import { renderWithProviders } from "@/testing/render";

import { CollisionBanner } from "./collision-banner";
import { ListTypingPreview, TypingIndicator } from "./typing-indicator";

const AGENT: RealtimeSession = { userId: "u1", tenantId: "t1", role: "agent" };

function signIn(session: RealtimeSession = AGENT) {
  act(() => realtimeStore.setSession(session, { u1: "online", u2: "online" }));
}

afterEach(() => {
  act(() => realtimeStore.reset());
  vi.useRealTimers();
});

describe("collision banner", () => {
  beforeEach(() => signIn());

  it("says nothing when nobody else has the conversation open", () => {
    renderWithProviders(<CollisionBanner conversationId="c1" />);
    act(() => realtimeStore.setViewers("c1", [{ userId: "u1", name: "Me", typing: false }]));
    expect(screen.queryByTestId("collision-banner")).toBeNull();
  });

  it("tells who else is viewing, then who is replying, live", () => {
    renderWithProviders(<CollisionBanner conversationId="c1" />);
    act(() =>
      realtimeStore.setViewers("c1", [
        { userId: "u1", name: "Me", typing: false },
        { userId: "u2", name: "Ana Agent", typing: false },
      ]),
    );
    const banner = screen.getByTestId("collision-banner");
    expect(banner).toHaveAttribute("data-kind", "viewing");
    expect(banner).toHaveTextContent("Ana Agent is also viewing");

    act(() => realtimeStore.startTyping("c1", "u2", "Ana Agent"));
    expect(screen.getByTestId("collision-banner")).toHaveAttribute("data-kind", "replying");
    expect(screen.getByTestId("collision-banner")).toHaveTextContent("Ana Agent is replying — you may be answering twice");

    act(() => realtimeStore.stopTyping("c1", "u2"));
    expect(screen.getByTestId("collision-banner")).toHaveTextContent("Ana Agent is also viewing");

    act(() => realtimeStore.setViewers("c1", [{ userId: "u1", name: "Me", typing: false }]));
    expect(screen.queryByTestId("collision-banner")).toBeNull();
  });

  it("names several people, and keeps the warning for those who can reply", () => {
    act(() => realtimeStore.setSession({ ...AGENT, role: "viewer" }, {}));
    renderWithProviders(<CollisionBanner conversationId="c1" />);
    act(() => {
      realtimeStore.startTyping("c1", "u2", "Ana Agent");
      realtimeStore.startTyping("c1", "u3", "Ben Builder");
    });
    const banner = screen.getByTestId("collision-banner");
    expect(banner).toHaveTextContent("Ana Agent and Ben Builder are replying");
    expect(banner).not.toHaveTextContent("answering twice");
  });

  it("the replying hint goes by itself 8 s after the last typing:start", () => {
    vi.useFakeTimers();
    renderWithProviders(<CollisionBanner conversationId="c1" />);
    act(() => realtimeStore.startTyping("c1", "u2", "Ana Agent"));
    expect(screen.getByTestId("collision-banner")).toHaveAttribute("data-kind", "replying");
    act(() => vi.advanceTimersByTime(8_000));
    expect(screen.queryByTestId("collision-banner")).toBeNull();
  });
});

describe("typing indicators", () => {
  beforeEach(() => signIn());

  it("shows who is typing above the composer", () => {
    renderWithProviders(<TypingIndicator conversationId="c1" />);
    expect(screen.queryByTestId("typing-indicator")).toBeNull();
    act(() => realtimeStore.startTyping("c1", "u2", "Ana Agent"));
    expect(screen.getByTestId("typing-indicator")).toHaveTextContent("Ana Agent is typing…");
    act(() => realtimeStore.startTyping("c2", "u3", "Ben Builder"));
    expect(screen.getByTestId("typing-indicator")).toHaveTextContent("Ana Agent is typing…");
  });

  it("puts typing in place of the list row's preview while it lasts", () => {
    const conversation: Pick<Conversation, "id"> = { id: "c1" };
    renderWithProviders(<ListTypingPreview conversationId={conversation.id} fallback={<p data-testid="conversation-preview">Hi</p>} />);
    expect(screen.getByTestId("conversation-preview")).toBeInTheDocument();
    act(() => realtimeStore.startTyping("c1", "u2", "Ana Agent"));
    expect(screen.getByTestId("conversation-typing")).toHaveTextContent("Ana Agent is typing…");
    expect(screen.queryByTestId("conversation-preview")).toBeNull();
    act(() => realtimeStore.stopTyping("c1", "u2"));
    expect(screen.getByTestId("conversation-preview")).toBeInTheDocument();
  });
});
