"""gunicorn settings shared by the Procfile's web line and `python -m bot serve`.

One process with threads: acknowledgements take milliseconds, lookups run on the app's own pool, and the
app is loaded before binding so a configuration error stops start-up with its one-line message.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '3000')}"
workers = 1
worker_class = "gthread"
threads = 16
preload_app = True
timeout = 30
graceful_timeout = 25
keepalive = 75
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
