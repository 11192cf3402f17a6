class MemberError(Exception):
    """A members rule was broken; `message` is translated, for the user."""

    def __init__(self, message, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
