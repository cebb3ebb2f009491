"""Engagement: points, levels, streaks and the leaderboard, all derived from the interaction log."""
