"""Old spellings kept working for one release, each announced with one line on stderr.

Release 0.2 renamed options so that a name means one thing everywhere (see ``stancekit.cli._deprecated``);
release 0.3 removes the old spellings, and this module with them.
"""

from __future__ import annotations

import sys

REMOVED_IN = "0.3"


def deprecated(message: str) -> None:
    """Say on stderr that something the user did is deprecated, and what to do instead."""
    print(f"warning: deprecated: {message} (the old way goes in stancekit {REMOVED_IN})", file=sys.stderr)
