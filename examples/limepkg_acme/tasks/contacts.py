"""Contact housekeeping tasks for ACME (memory rules: LIME101-LIME104)."""

import logging

from lime_application import LimeApplication
from lime_task import task

logger = logging.getLogger(__name__)


@task
def count_companies(app: LimeApplication) -> str:
    """Count the companies in the database.

    Args:
        app: The Lime application.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Counting companies")
    total = len(list(app.limetypes.company.get_all()))
    return f"{total} companies"


@task
def flag_inactive_persons(app: LimeApplication, threshold: int) -> str:
    """Flag persons without activity.

    Args:
        app: The Lime application.
        threshold: Days without activity before a person is flagged.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Flagging inactive persons, threshold=%s", threshold)
    persons = list(app.limetypes.person.get_all())
    flagged = 0
    for person in persons:
        if person.properties.days_inactive.value > threshold:
            flagged += 1
    return f"{flagged} persons flagged"


@task
def collect_companies(app: LimeApplication) -> str:
    """Collect every company for a later export.

    Args:
        app: The Lime application.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Collecting companies")
    kept = []
    for company in app.limetypes.company.get_all():
        if company.properties.country.value == "SE":
            kept.append(company)
    return f"{len(kept)} Swedish companies"
