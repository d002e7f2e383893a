"""Listener modules; each has one ``register(app, deps)``."""

from slack_bolt import App

from bot.slack.deps import Deps
from bot.slack.listeners import actions, alerts, commands, conversations, forms, home


def register(app: App, deps: Deps) -> None:
    commands.register(app, deps)
    actions.register(app, deps)
    home.register(app, deps)
    alerts.register(app, deps)
    forms.register(app, deps)
    conversations.register(app, deps)
