"""Memberships: plans, the subscription state machine, access grants, reminders, reconcile."""
