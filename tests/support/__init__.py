"""Shared test builders and steps: imported by tests, never a test module importing another."""
