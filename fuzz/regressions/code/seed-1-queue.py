"""Python bindings for Lanternfish queues.

The Python API mirrors the Node.js one: open a :class:`Queue`, add jobs,
process them in workers.
"""


class Queue:
    """A persistent job queue stored in one SQLite file.

    :param path: where jobs are stored.
    :param concurrency: how many jobs run at once in this process.
    """

    def __init__(self, path, concurrency=1):
        self.path = path

    def add(self, name, payload, *, delay=0, attempts=1):
        """Store a job and return its id.

        ``delay`` postpones the first attempt by that many milliseconds and
        ``attempts`` sets how often a failing job is retried.
        """

    def add_bulk(self, jobs):
        """Store many jobs in one transaction and return their ids.

        Example::

            ids = queue.add_bulk([("send-email", {"to": "a@example.com"})])
        """

    def _claim(self):
        """Internal: claim the next job."""


def retry_after(job, seconds):
    """Schedule another attempt of a failed job after ``seconds``."""
