class DomainError(Exception):
    """A business rule was broken; `message` is translated, for the user, `code` for code."""

    def __init__(self, message, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
