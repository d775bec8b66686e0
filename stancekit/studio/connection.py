"""Where Label Studio is and which token to use: the one place that reads LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY.

An explicit value (a flag, a config field) wins over the environment, which wins over the default
URL; there is no default token. Light on purpose: imported by the CLI, it imports no HTTP library.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from stancekit.errors import ConfigError

URL_ENV = "LABEL_STUDIO_URL"
TOKEN_ENV = "LABEL_STUDIO_API_KEY"
DEFAULT_URL = "http://127.0.0.1:8080"


def studio_url(url: str | None = None) -> str:
    """The Label Studio base URL: ``url`` if given, else $LABEL_STUDIO_URL, else http://127.0.0.1:8080."""
    found = (url or os.environ.get(URL_ENV) or DEFAULT_URL).strip().rstrip("/")
    parsed = urlparse(found)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"expected a Label Studio URL like {DEFAULT_URL}, found {found!r} "
                          f"(from {'--url' if url else '$' + URL_ENV})")
    return found


def studio_token(token: str | None = None) -> str:
    """The API token (legacy or personal access token): ``token`` if given, else $LABEL_STUDIO_API_KEY, else ''."""
    return (token or os.environ.get(TOKEN_ENV) or "").strip()
