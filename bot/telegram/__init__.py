"""The python-telegram-bot runtime: application, persistence, HTTP, webhook, sending, button data."""
