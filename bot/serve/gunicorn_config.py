"""gunicorn settings shared by the Procfile's web line and `python -m bot serve`.

One process with threads: acknowledgements take milliseconds, lookups run on the app's own pool, and the
app is loaded before binding so a configuration error stops start-up with its one-line message. The worker
serves with waitress (`bot.serve.waitress_worker`), which reads whole requests in an event loop before a
thread takes them, so slow or idle clients cannot hold the threads that acknowledge commands.
"""

import os
from typing import Any

bind = f"0.0.0.0:{os.environ.get('PORT', '3000')}"
workers = 1
worker_class = "bot.serve.waitress_worker.WaitressWorker"
threads = 16
preload_app = True
timeout = 30
graceful_timeout = 25
keepalive = 75  # seconds an idle connection stays open between requests (waitress channel_timeout)
accesslog = None
loglevel = "warning"
# gunicorn's own warnings and errors (a worker timeout, a crash) go through the root logger, which the app
# sets up, so they come out on stdout in LOG_FORMAT like every other event.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": "WARNING", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    },
}

DRAIN_MARGIN_SECONDS = 2


def post_worker_init(worker: Any) -> None:
    """In the worker, before it serves: ask WHMCS ahead of the first lookup, waiting up to 5 s for the
    answer (`Lookups.warm_up`). Not in `create_application`: with preload_app that runs in the master,
    whose threads the worker lacks."""
    warm_up = getattr(getattr(worker, "wsgi", None), "warm_up", None)
    if callable(warm_up):
        warm_up()


def worker_exit(server: object, worker: Any) -> None:
    """On SIGTERM the worker stops accepting and finishes its requests (acknowledgements, milliseconds each),
    then comes here: wait for the lookups they started so that their answers reach Slack, and tell the
    people of those still unanswered when the time runs out that the bot restarted (LookupPool.drain).

    The master SIGKILLs a worker graceful_timeout seconds after sending it SIGTERM (Heroku kills the dyno
    30 s after its own SIGTERM), so the wait ends a little before that, allowing for the worker's one-second
    poll before it noticed SIGTERM.
    """
    drain = getattr(getattr(worker, "wsgi", None), "drain", None)
    if callable(drain):
        drain(max(worker.cfg.graceful_timeout - DRAIN_MARGIN_SECONDS, 0))
