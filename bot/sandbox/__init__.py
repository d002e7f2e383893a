"""Trying the app without Slack: the console (`make demo`) and a local stand-in for Slack's Web API."""
