"""Tests of bot/telegram: the runtime, button data, the commands table, webhook, logging."""
