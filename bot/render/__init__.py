"""What users see, built without Slack calls: Block Kit messages, modals, the App Home, chart PNGs."""
