"""Tests of bot/domain: the rules without Telegram."""
