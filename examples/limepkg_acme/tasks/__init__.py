from lime_task.schedule import CronTab, ScheduledTask, TaskSession

from . import contacts, contracts, deals, reports, clean


def get_task_modules():
    return [contacts, contracts, deals, reports, clean]


def register_scheduled_tasks():
    return [
        ScheduledTask(
            task=contracts.import_contracts,
            session=TaskSession(user_name="integration", language="en"),
            args=[],
            schedule=CronTab(hour=2, minute=0),
        ),
    ]
