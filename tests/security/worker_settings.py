"""Settings of the real Celery workers that tests/security/test_worker_kill.py starts and kills.

The test settings, plus what the test passes through the environment: the media folder holding the batch's file,
and a visibility timeout of a few seconds, so that the Redis transport hands a killed worker's unacknowledged
message to the next worker within seconds instead of the production hour.
"""

import os

from xinyidai.settings_test import *  # noqa: F403

MEDIA_ROOT = os.environ["XINYIDAI_TEST_MEDIA_ROOT"]
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("XINYIDAI_TEST_VISIBILITY_TIMEOUT", "3")),
    # Look for abandoned messages every second (kombu's default sweep is every 10 x 10 s).
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False  # no pidbox queues left behind in the broker
CELERY_RESULT_BACKEND = None
