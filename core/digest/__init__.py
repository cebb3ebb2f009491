"""Scheduled digests: compose per member and period, then deliver through the outbox."""
