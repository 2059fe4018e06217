"""Reporting tasks (documentation and complexity rules: LIME102, LIME401-LIME403, LIME501)."""

import logging

from lime_task import task

logger = logging.getLogger(__name__)


def active_person_names(app):
    names = []
    for person in app.limetypes.person.get_all():
        if person.properties.active.value:
            names.append(person.properties.name.value)
    return names


@task
def person_report(app, region):
    logger.info("Person report for region %s", region)
    count = 0
    for name in active_person_names(app):
        count += 1
    return f"{count} active persons in {region}"


@task
def deal_summary(app, year: int, currency: str = "SEK") -> str:
    """Summarise the deals of a year.

    Args:
        app: The Lime application.
        year: The year to summarise.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Deal summary for %s in %s", year, currency)
    return f"deals of {year} in {currency}"


@task
def score_companies(app, weights: dict) -> str:
    """Score companies with a weighted rule set.

    Args:
        app: The Lime application.
        weights: Weight per criterion.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Scoring companies with %s", weights)
    scored = 0
    for company in app.limetypes.company.get_all(limit=100):
        score = 0
        if company.properties.employees.value > 100:
            score += weights.get("size", 1)
        elif company.properties.employees.value > 10:
            score += 1
        if company.properties.country.value == "SE":
            score += 2
        elif company.properties.country.value in ("NO", "DK"):
            score += 1
        if company.properties.revenue.value and company.properties.revenue.value > 1_000_000:
            score += 3
        if company.properties.customer.value and not company.properties.churned.value:
            score += 2
        if company.properties.segment.value == "enterprise" or company.properties.segment.value == "public":
            score += 1
        while score > 10:
            score -= 1
        scored += 1 if score else 0
    return f"{scored} companies scored"
