"""The domain: plan, period, obligations, scoring, reports, reminders. Never imports Telegram."""
