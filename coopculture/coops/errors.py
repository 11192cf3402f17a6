from coopculture.core.errors import DomainError


class CoopError(DomainError):
    """A rule of the coops domain was broken."""
