"""Where Label Studio is and which token to use: the one place that reads LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY.

The address: an explicit value (a flag, a config field) wins over $LABEL_STUDIO_URL, which wins over
the project file's ``label_studio.url``, which wins over http://127.0.0.1:8080. The token: an
explicit value, else $LABEL_STUDIO_API_KEY; there is no default token and none in the project file.
Every command, ``stancekit serve`` and its retraining process resolve both here. Light on purpose:
imported by the CLI, it imports no HTTP library.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlparse

from stancekit.errors import ConfigError
from stancekit.options import STUDIO_TOKEN, STUDIO_URL
from stancekit.project import current_project

URL_ENV = "LABEL_STUDIO_URL"
TOKEN_ENV = "LABEL_STUDIO_API_KEY"
DEFAULT_URL = "http://127.0.0.1:8080"
URL_SETTING = "label_studio.url"


def url_and_source(url: str | None = None, *, fallback: bool = True) -> tuple[str | None, str]:
    """The Label Studio address and where it came from (``--url``, ``$LABEL_STUDIO_URL``, the project file,
    the default); without ``fallback`` the default is not used (None: no address known)."""
    if url:
        found, source = url, "--url"
    elif os.environ.get(URL_ENV, "").strip():
        found, source = os.environ[URL_ENV], f"${URL_ENV}"
    elif (project := current_project()).get(URL_SETTING):
        found, source = project.get(URL_SETTING), f"{project.source} ({URL_SETTING})"
    elif fallback:
        found, source = DEFAULT_URL, "default"
    else:
        return None, "none given"
    found = found.strip().rstrip("/")
    parsed = urlparse(found)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"expected a Label Studio URL like {DEFAULT_URL}, found {found!r} (from {source})")
    return found, source


def studio_url(url: str | None = None) -> str:
    """The Label Studio base URL: ``url`` if given, else $LABEL_STUDIO_URL, else the project file's, else the default."""
    found, _ = url_and_source(url)
    assert found is not None
    return found


def known_studio_url(url: str | None = None) -> str | None:
    """The Label Studio base URL when one is given anywhere (flag, environment, project file), else None."""
    return url_and_source(url, fallback=False)[0]


def studio_token(token: str | None = None) -> str:
    """The API token (legacy or personal access token): ``token`` if given, else $LABEL_STUDIO_API_KEY, else ''."""
    return (token or os.environ.get(TOKEN_ENV) or "").strip()


def token_environment(token: str) -> dict[str, str]:
    """The environment of a child process that must reach Label Studio with ``token`` (never written to a file)."""
    return {**os.environ, TOKEN_ENV: token} if token else dict(os.environ)


@dataclass
class StudioConnection:
    """Label Studio's address and token as options (``--url``, ``--token``); None: resolved as above."""

    url: str | None = STUDIO_URL(None, show_default=False)
    token: str | None = STUDIO_TOKEN(None, show_default=False, repr=False)

    def __post_init__(self) -> None:
        if self.url is not None:
            self.url = studio_url(self.url)  # checked now, before any work
