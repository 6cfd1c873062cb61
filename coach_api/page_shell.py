"""What every page shares: who is signed in, the navigation their role gets, and rendering.

Pages need a session (``coach_api.sessions``); without one a page redirects to the sign-in
page, which brings the reader back afterwards. Bearer tokens are for API clients, not pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from coach_api.deps import StoreDep, session_user
from coach_api.schemas import API_PREFIX
from coach_api.sessions import SESSION_COOKIE, SIGN_IN_PATH, csrf_token_for
from pipeline.store.users import Role, UserRecord

PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    href: str


_REVIEWER_NAV = (NavItem("Review queue", "/ui/"), NavItem("Team", "/ui/team"),
                 NavItem("Library", "/ui/library"))
NAV: dict[Role, tuple[NavItem, ...]] = {
    Role.ADMIN: _REVIEWER_NAV,
    Role.SUPERVISOR: _REVIEWER_NAV,
    Role.AGENT: (NavItem("My calls", "/ui/me"), NavItem("Library", "/ui/library")),
    Role.TRAINER: (NavItem("Library", "/ui/library"),),
}
HOME: dict[Role, str] = {Role.AGENT: "/ui/me", Role.TRAINER: "/ui/library"}


def home_for(user: UserRecord | None) -> str:
    """Where a role starts: the page its work begins on."""
    return HOME.get(user.role, "/ui/") if user is not None else SIGN_IN_PATH


class SignInRequired(Exception):
    """A page asked for without a live session; answered by a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    @property
    def location(self) -> str:
        return f"{SIGN_IN_PATH}?next={quote(self.next_path, safe='/')}"


async def signed_in_user(request: Request, store: StoreDep) -> UserRecord | None:
    session = request.cookies.get(SESSION_COOKIE)
    return await session_user(store, session) if session else None


async def page_user(request: Request, store: StoreDep) -> UserRecord:
    user = await signed_in_user(request, store)
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path)
    return user


PageUser = Annotated[UserRecord, Depends(page_user)]


def templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


def render(request: Request, template: str, *, title: str, user: UserRecord | None,
           status_code: int = 200, **context) -> HTMLResponse:
    """A page in the shell: the role's navigation, the sign-out form and the CSRF token."""
    session = request.cookies.get(SESSION_COOKIE)
    shell = {"api": API_PREFIX, "title": title, "user": user, "home": home_for(user),
             "nav": NAV.get(user.role, ()) if user else (), "current": request.url.path,
             "csrf": csrf_token_for(session) if user is not None and session else ""}
    response = templates(request).TemplateResponse(request, template, {**shell, **context},
                                                   status_code=status_code)
    # Pages hold personal data and the session's CSRF token: no cache keeps a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def make_templates() -> Jinja2Templates:
    return Jinja2Templates(directory=PACKAGE_DIR / "templates")
