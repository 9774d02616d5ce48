"""End-to-end tests of handlers/ through the fake Bot API server."""
