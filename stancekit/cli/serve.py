"""``stancekit serve``: answer Label Studio as its ML backend (pre-annotation, retraining)."""

from __future__ import annotations

from stancekit.cli._app import LOOP, cli_errors, command
from stancekit.cli._options import config_command
from stancekit.serve.config import ServeConfig


@command(panel=LOOP)
@cli_errors
@config_command(ServeConfig)
def serve(config: ServeConfig) -> None:
    """Serve a stance model to Label Studio (Settings > Model > Connect Model: http://HOST:PORT).

    Retrained versions go to MODEL/versions/. Retraining pulls labels from --url, else from the address Label
    Studio sends when it connects, else $LABEL_STUDIO_URL or the project file's. --threads 1 (the default)
    keeps one-task latency steady on a shared or busy machine (/predict p50 48 ms at 1 thread vs 0.8 s at 2 on
    2 busy cores); more helps large batches on an idle machine.
    """
    from stancekit.serve.app import serve as run_serve

    run_serve(config)
