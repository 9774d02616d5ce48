"""Tests of bot/cli: the rapk command line."""
