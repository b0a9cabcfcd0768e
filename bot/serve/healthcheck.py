"""`python -m bot.serve.healthcheck`: exit 0 when this host's `/healthz` on $PORT answers 200, else 1 with
one line.

The container's HEALTHCHECK runs it every 30 s, so it uses only the standard library and nothing of the app.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 2


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '3000')}/healthz"
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # a proxy cannot see our loopback
    try:
        with no_proxy.open(url, timeout=TIMEOUT_SECONDS):
            return 0
    except urllib.error.HTTPError as error:
        print(f"credits-bot: {url} answered {error.code}", file=sys.stderr)
    except OSError as error:
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        print(f"credits-bot: {url} did not answer ({reason})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
