"""Exceptions of the fake Lime application.

`NotFoundError` stands in for `lime_errors.NotFoundError`, which real code
catches around `limetype.get(id)` (lime-api.md §2.2).  The other two are the
fake's own: they are what the fake raises when a commit fails.
"""


class NotFoundError(Exception):
    """Mimics `lime_errors.NotFoundError`: no object with that id / file."""


class CommitError(Exception):
    """A unit of work could not be committed; nothing of it was persisted.

    Raised for an invalid unit of work (e.g. a relation to a new object that
    was never added to any unit of work).  Assumption: the real exception
    class for a failed commit is not known (lime-api.md does not name one).
    """


class InjectedCommitError(CommitError):
    """Raised by a commit that matched `app.fail_commit_when(predicate)`."""
