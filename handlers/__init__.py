"""Telegram handlers: thin (parse update → call service → render template → reply).

Every handler is registered in handlers/registry.py, explicitly, in one place.
"""
