"""Tests of jobs/: the reminder tick and dispatcher under faults."""
