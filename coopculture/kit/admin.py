"""Nothing of the kit is in the Django admin (docs/decisions/0005): tracked links, their
counts and account sources are coop-owned rows, changed only through the back office."""
