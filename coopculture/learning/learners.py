"""Who is learning: a key kept in the browser session (anonymous or not)."""

import uuid

SESSION_LEARNER_KEY = "learner_key"


def learner_key_for(request, *, create: bool = True) -> uuid.UUID | None:
    value = request.session.get(SESSION_LEARNER_KEY)
    if value:
        return uuid.UUID(value)
    if not create:
        return None
    key = uuid.uuid4()
    request.session[SESSION_LEARNER_KEY] = str(key)
    return key
