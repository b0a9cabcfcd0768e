"""One module per Slack entry point; each exposes `register(app, services)`."""
