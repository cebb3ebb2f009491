"""Payment verification: one ledger (ledger.py), many verifiers (one module per provider)."""
