"""Bolt apps to measure credits-bot against, served by the same gunicorn settings and WSGI shell."""
