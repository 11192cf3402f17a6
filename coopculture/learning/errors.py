from coopculture.core.errors import DomainError


class LearningError(DomainError):
    """A learning rule was broken."""
