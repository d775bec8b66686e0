"""Label Studio's own settings for the test server, with access tokens that live seconds instead of 5 minutes.

The test server runs with ``DJANGO_SETTINGS_MODULE=label_studio_short_tokens`` so that a personal access
token's access tokens really expire within a test (Label Studio has no environment variable for it).
"""

from datetime import timedelta

from label_studio.core.settings.label_studio import *  # noqa: F401,F403

ACCESS_TOKEN_SECONDS = 3
SIMPLE_JWT = {"ACCESS_TOKEN_LIFETIME": timedelta(seconds=ACCESS_TOKEN_SECONDS)}
