"""A/B experiments: deterministic sticky assignment, honest statistics, off-policy replay."""
