"""RAPK Bot: domain services (import, calendar, scoring, reports, rendering) and the bot runtime."""
