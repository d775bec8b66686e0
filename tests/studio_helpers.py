"""What only the tests do in Label Studio: sign annotators up, work through the label stream, annotate.

Kept out of stancekit.studio.client, which holds only what stancekit itself calls.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from stancekit.studio.client import StudioClient


def sign_up(invite_url: str, email: str, password: str) -> str:
    """Sign a new annotator up through an invite link; returns their legacy API token.

    This is the only way Label Studio Community Edition makes a user who can log in: the
    admin's ``GET /api/invite`` gives the link, the signup form creates the account.
    """
    base = re.match(r"https?://[^/]+", invite_url)
    assert base is not None, f"expected an invite URL like http://host/user/signup/?token=..., found {invite_url!r}"
    with httpx.Client(base_url=base.group(0), timeout=60, follow_redirects=False) as session:
        page = session.get(invite_url)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert page.status_code == 200 and csrf is not None, f"no signup form behind the invite (HTTP {page.status_code})"
        response = session.post(invite_url, data={"csrfmiddlewaretoken": csrf.group(1), "email": email,
                                                  "password": password, "how_find_us": "",
                                                  "allow_newsletters": "false"},
                                headers={"Referer": invite_url})
        assert response.status_code == 302, f"signing up {email} failed (HTTP {response.status_code})"
        token = session.get("/api/current-user/token")
        assert token.status_code == 200, f"no API token for {email} (HTTP {token.status_code})"
        return token.json()["token"]


def next_task(client: StudioClient, project_id: int) -> dict[str, Any] | None:
    """The next task of the label stream for this user, or None when none is left.

    Hand-written: label-studio-sdk has no call for the label stream (``GET /api/projects/<id>/next``).
    """
    response = client.sdk._client_wrapper.httpx_client.request(f"api/projects/{project_id}/next", method="GET")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


def create_annotation(client: StudioClient, task_id: int, result: list[dict[str, Any]], *, lead_time: float = 0.0,
                      was_cancelled: bool = False) -> None:
    client.sdk.annotations.create(task_id, result=result, lead_time=lead_time, was_cancelled=was_cancelled)
