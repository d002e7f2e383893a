"""The Slack surface: the Bolt app, its HTTP server, middlewares, listeners and the `/kpi` command parser."""
