"""Member profile: the onboarding interview and /profile (cold-start signal for recommendations)."""
