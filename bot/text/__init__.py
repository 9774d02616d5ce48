"""Indonesian formatting and template rendering, shared by every layer."""
