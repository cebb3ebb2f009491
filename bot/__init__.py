"""Platform adapters: they translate, they never decide."""
