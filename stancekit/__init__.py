"""stancekit: measured stance toward each actor in news coverage of armed conflicts."""

from stancekit.errors import StanceKitError

__version__ = "0.1.0"

__all__ = ["StanceKitError", "__version__"]
