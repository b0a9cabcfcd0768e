"""Loopback stand-ins for WHMCS and the Slack Web API that speak their real wire formats over HTTP."""
