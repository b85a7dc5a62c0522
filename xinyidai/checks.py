"""Deployment checks of the platform's own (`manage.py check --deploy`)."""

from django.conf import settings
from django.core import checks

SHARED_CACHES = {
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
    "django_redis.cache.RedisCache",
}


@checks.register(checks.Tags.caches, deploy=True)
def rate_limit_cache_is_shared(app_configs, **kwargs):
    """Rate-limit counters in a per-process cache would let each server process allow the full rate. Asked of a
    deployment that runs Celery on a broker (as production does, CELERY_BROKER_URL): it has Redis to point the
    cache at. A single-process set-up without a broker (a demo, the checklist run in CI) is left alone."""
    backend = settings.CACHES["default"]["BACKEND"]
    if not settings.RATELIMIT_ENABLE or not settings.CELERY_BROKER_URL or backend in SHARED_CACHES:
        return []
    return [
        checks.Warning(
            f"The default cache ({backend}) is not shared between server processes; rate limits count per process.",
            hint="Set DJANGO_CACHE_URL (or REDIS_URL) to a Redis server, e.g. redis://127.0.0.1:6379/2.",
            id="xinyidai.W001",
        )
    ]
