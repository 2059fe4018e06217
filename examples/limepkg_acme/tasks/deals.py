"""Deal synchronisation with the CRM portal (logging rules: LIME301-LIME306)."""

import logging
import traceback

import requests
from lime_application import LimeApplication
from lime_task import task

logger = logging.getLogger(__name__)


@task
def sync_deals(app: LimeApplication, api_key: str, since: str) -> str:
    """Push deals changed since a date to the portal.

    Args:
        app: The Lime application.
        api_key: The portal's API key.
        since: ISO date of the last sync.

    Returns:
        A summary of the task, stored as the task result.
    """
    url = "https://portal.example.com/deals"
    headers = {"Authorization": api_key}
    logger.info(f"Sending deals to {url} with key {api_key}")
    sent = 0
    for deal in app.limetypes.deal.get_all(limit=500):
        try:
            response = requests.post(url, json={"id": deal.id}, headers=headers)
            response.raise_for_status()
            sent += 1
        except requests.RequestException as e:
            logger.warning("Deal sync failed with status {response.status_code}")
    return f"{sent} deals sent"


@task
def archive_deals(app: LimeApplication, year: int) -> str:
    """Archive the deals of a year.

    Args:
        app: The Lime application.
        year: The year to archive.

    Returns:
        A summary of the task, stored as the task result.
    """
    archived = 0
    for deal in app.limetypes.deal.get_all(limit=1000):
        try:
            deal.properties.archived.value = deal.properties.year.value == year
            archived += 1
        except Exception as e:
            print(e)
            traceback.print_exc()
    print("archived", archived, "deals of", year)
    return f"{archived} deals archived"
