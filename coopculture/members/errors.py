from coopculture.core.errors import DomainError


class MemberError(DomainError):
    """A members rule was broken."""
