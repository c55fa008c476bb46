"""An owner invites an agent and a viewer from Settings → Team; each accepts the link in
their own browser and sees exactly what their role allows; the owner's audit log shows the
invitations, the sign-ins and the role change; removing a member ends their session."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, Stack
from tests.e2e.sim import login, messenger_writes, open_conversation

pytestmark = pytest.mark.e2e

ADMIN_ONLY_SETTINGS = ("api-keys", "webhooks", "audit-log", "data")


async def invite(page: Page, email: str, role: str) -> str:
    """Invite from the Team page; the link the dialog shows (email is not configured)."""
    await page.get_by_test_id("team-invite-button").click()
    await page.get_by_test_id("invite-email").fill(email)
    await page.get_by_test_id("invite-role").select_option(role)
    await page.get_by_test_id("invite-submit").click()
    await expect(page.get_by_test_id("invite-email-not-configured")).to_be_visible()
    link = (await page.get_by_test_id("invite-link").inner_text()).strip()
    assert "/invite/" in link, link
    await page.get_by_test_id("invite-done").click()
    await expect(page.get_by_test_id(f"invitation-row-{email}")).to_be_visible()
    return link


async def accept(page: Page, link: str, name: str, password: str) -> None:
    await page.goto(link)
    await expect(page.get_by_test_id("accept-email")).to_be_visible()
    await page.get_by_test_id("accept-name").fill(name)
    await page.get_by_test_id("accept-password").fill(password)
    await page.get_by_test_id("accept-submit").click()
    await expect(page.get_by_test_id("conversation-list")).to_be_visible(timeout=10_000)


async def settings_tabs(page: Page) -> set[str]:
    await page.get_by_test_id("nav-settings").click()
    await expect(page.get_by_test_id("settings-nav-team")).to_be_visible()
    tabs = set()
    for name in ("saved-replies", "team", *ADMIN_ONLY_SETTINGS):
        if await page.get_by_test_id(f"settings-nav-{name}").count():
            tabs.add(name)
    return tabs


async def test_owner_invites_an_agent_and_a_viewer(stack: Stack, browser: Browser) -> None:
    tag = uuid.uuid4().hex[:8]
    agent_email, viewer_email = f"agent-{tag}@example.com", f"viewer-{tag}@example.com"
    password = f"Pw-{uuid.uuid4().hex}"
    text = f"Team check {tag}"
    await messenger_writes(stack, text, "Rosa", f"Team{tag}")

    owner_context = await browser.new_context(viewport={"width": 1280, "height": 800})
    agent_context = await browser.new_context(viewport={"width": 1280, "height": 800})
    viewer_context = await browser.new_context(viewport={"width": 1280, "height": 800})
    owner, agent, viewer = (
        await owner_context.new_page(),
        await agent_context.new_page(),
        await viewer_context.new_page(),
    )

    # The owner invites both from Settings → Team.
    await login(owner, stack)
    await owner.goto(f"{stack.web}/settings/team")
    agent_link = await invite(owner, agent_email, "agent")
    viewer_link = await invite(owner, viewer_email, "viewer")
    await owner.screenshot(path=str(ARTIFACTS / "team-owner-invited.png"))

    # Each accepts in their own browser and is signed in.
    await accept(agent, agent_link, f"Agent {tag}", password)
    await accept(viewer, viewer_link, f"Viewer {tag}", password)

    # The agent works conversations but manages nothing.
    await open_conversation(agent, text)
    await expect(agent.get_by_test_id("composer")).to_be_visible()
    await expect(agent.get_by_test_id("composer-read-only")).to_have_count(0)
    await expect(agent.get_by_test_id("thread-more")).to_be_visible()
    await agent.screenshot(path=str(ARTIFACTS / "team-agent-thread.png"))
    assert await settings_tabs(agent) == {"saved-replies", "team"}
    await agent.get_by_test_id("settings-nav-team").click()
    await expect(agent.get_by_test_id(f"member-row-{viewer_email}")).to_be_visible()
    await expect(agent.get_by_test_id("team-invite-button")).to_have_count(0)
    await expect(agent.get_by_test_id(f"member-remove-{viewer_email}")).to_have_count(0)
    await expect(agent.get_by_test_id("nav-operations")).to_have_count(0)
    await agent.screenshot(path=str(ARTIFACTS / "team-agent-settings.png"))
    await agent.goto(f"{stack.web}/channels")
    await expect(agent.get_by_test_id("connect-messenger")).to_have_count(0)

    # The viewer reads the same conversation but cannot change anything.
    conversation_id = await open_conversation(viewer, text)
    await expect(viewer.get_by_test_id("composer-read-only")).to_be_visible()
    await expect(viewer.get_by_test_id("composer")).to_have_count(0)
    await expect(viewer.get_by_test_id("thread-more")).to_have_count(0)
    await viewer.screenshot(path=str(ARTIFACTS / "team-viewer-thread.png"))
    assert await settings_tabs(viewer) == {"saved-replies", "team"}
    # What the UI hides, the API refuses: the viewer's own token cannot reply.
    status = await viewer.evaluate(
        """async (conversationId) => {
            const { accessToken } = JSON.parse(localStorage.getItem("parley.auth"));
            const response = await fetch(`/api/inbox/conversations/${conversationId}/messages`, {
                method: "POST",
                headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json" },
                body: JSON.stringify({ text: "should not go" }),
            });
            return response.status;
        }""",
        conversation_id,
    )
    assert status == 403
    await viewer.goto(f"{stack.web}/inbox/{conversation_id}")
    await expect(viewer.get_by_test_id("composer-read-only")).to_be_visible()
    await expect(viewer.get_by_test_id("realtime-status")).to_have_attribute(
        "data-status", "connected", timeout=10_000
    )

    # The owner promotes the viewer to agent: their composer appears without a reload.
    await owner.reload()
    await owner.get_by_test_id(f"member-role-select-{viewer_email}").select_option("agent")
    await expect(owner.get_by_test_id(f"member-role-select-{viewer_email}")).to_have_value("agent")
    await expect(viewer.get_by_test_id("composer")).to_be_visible(timeout=10_000)

    # The audit log shows it all.
    await owner.goto(f"{stack.web}/settings/audit-log")
    rows = owner.get_by_test_id("audit-row")
    await expect(rows.first).to_be_visible()
    for action, target in (
        ("team.invitation_created", agent_email),
        ("team.invitation_created", viewer_email),
        ("team.invitation_accepted", agent_email),
        ("team.invitation_accepted", viewer_email),
        ("team.role_changed", viewer_email),
    ):
        row = owner.locator(f'[data-testid="audit-row"][data-action="{action}"]').filter(
            has_text=target
        )
        await expect(row.first).to_be_visible()
    await owner.screenshot(path=str(ARTIFACTS / "team-audit-log.png"), full_page=True)

    # Removing members ends their sessions: the next API call sends them to the login page.
    await owner.goto(f"{stack.web}/settings/team")
    for email in (agent_email, viewer_email):
        await owner.get_by_test_id(f"member-remove-{email}").click()
        await owner.get_by_test_id("member-remove-confirm").click()
        await expect(owner.get_by_test_id(f"member-row-{email}")).to_have_count(0)
    await agent.goto(f"{stack.web}/inbox")
    await expect(agent.get_by_test_id("login-email")).to_be_visible(timeout=10_000)

    for context in (owner_context, agent_context, viewer_context):
        await context.close()
