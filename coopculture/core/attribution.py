"""Which channel brought a visitor: the first tracked link, kept in the session.

The kit's short links (`/l/<code>`) call `remember_first_source`; the learning views pass
`first_source(request)` to the learning events they record, so that module starts and
completions can be counted per link and per channel. Only the first source counts: a member
who came from the flyer and later clicks a newsletter link is still credited to the flyer.

A source is an opaque short string ("link:<code>"); core knows nothing of what it means.
Django keeps session data across sign-in, so the source follows the visitor into their
account; the kit also stores it on the account for their other devices.
"""

SESSION_KEY = "first_source"
MAX_LENGTH = 40  # LearningEvent.channel


def remember_first_source(request, source: str) -> bool:
    """Keep `source` unless the session already has one. True when it was kept."""
    if not source or request.session.get(SESSION_KEY):
        return False
    request.session[SESSION_KEY] = source[:MAX_LENGTH]
    return True


def first_source(request) -> str:
    session = getattr(request, "session", None)
    if session is None:
        return ""
    return session.get(SESSION_KEY, "")
