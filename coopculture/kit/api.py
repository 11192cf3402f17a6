"""What other feature apps (campaigns, ...) may use of the kit: see learning/api.py."""

__all__: list[str] = []
