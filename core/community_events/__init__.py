"""Community events (workshops, office hours): RSVPs with capacity, reminders, attendance."""
