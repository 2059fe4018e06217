import logging

logger = logging.getLogger(__name__)

try:
    from .tasks import get_task_modules  # noqa: F401
    from .tasks import register_scheduled_tasks  # noqa: F401
except ImportError:
    logger.info("limepkg_acme does not implement any async tasks")
