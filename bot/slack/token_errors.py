"""What Slack says when a token will never work, whatever the bot waits for: read by Socket Mode (stop
retrying) and by `check` (tell the operator what to fix)."""

from __future__ import annotations

REFUSED_TOKEN = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)
"""The token is wrong, revoked or expired: copy it again, reinstall if revoked."""

WRONG_TOKEN_TYPE = "not_allowed_token_type"  # noqa: S105 (an error code, not a secret)
"""A valid token of the wrong kind (a bot token where an app-level token belongs, or the reverse)."""

TOKEN_ERRORS = REFUSED_TOKEN | {WRONG_TOKEN_TYPE}
