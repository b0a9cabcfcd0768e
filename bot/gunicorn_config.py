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
errorlog = "-"
loglevel = "warning"
