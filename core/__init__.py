"""Syllabot's platform-free core: events in, replies out."""
