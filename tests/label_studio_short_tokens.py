"""Label Studio's own settings for the test server, with access tokens that live seconds instead of 5 minutes.

The test server runs with ``DJANGO_SETTINGS_MODULE=label_studio_short_tokens`` (tests/studio_server.py) so
that a personal access token's access tokens really expire within a test (Label Studio has no environment
variable for it). Loaded by the server only (it needs Label Studio's own sys.path).
"""

import os
from datetime import timedelta

# Label Studio's settings read django.conf.settings while they load (Sentry, versions); point Django at them
# meanwhile, as on a normal start, instead of at this module, which is only half-loaded at that moment.
os.environ["DJANGO_SETTINGS_MODULE"] = "label_studio.core.settings.label_studio"
from label_studio.core.settings.label_studio import *  # noqa: E402,F401,F403

os.environ["DJANGO_SETTINGS_MODULE"] = __name__
SIMPLE_JWT = {"ACCESS_TOKEN_LIFETIME": timedelta(seconds=int(os.environ["STANCEKIT_TEST_ACCESS_SECONDS"]))}
