"""Proof that the person holding a member's emailed link is the member (docs/decisions/0014).

A link that arrived by email (or was forwarded, or left in a shared mailbox) is only the
address of the member's pages: it opens nothing personal by itself. Before the preferences
page or the member's own export shows anything, the visitor proves who they are:

- signed in with the account linked to the member, or
- with a one-time code mailed to the member's address (the address the coop holds now,
  not the one the link was sent to): CODE_DIGITS digits, valid CODE_TTL, CODE_ATTEMPTS
  tries, at most CODES_PER_HOUR codes per member and hour.

The code lives in the visitor's session (only that browser can use it, and only a hash of
it is kept); once it is typed, the session holds the proof for this member for PROOF_TTL.
"""

import datetime as dt
import hashlib
import hmac
import secrets
import time
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache

from coopculture.members.models import Member

CODE_DIGITS = 6
CODE_TTL = dt.timedelta(minutes=15)
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 3
PROOF_TTL = dt.timedelta(minutes=30)

CODE_KEY = "members.access_code"
PROOF_KEY = "members.access_proof"


class CodeCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # not this code; tries left
    USED_UP = "used_up"  # too many tries, or expired, or never asked: ask for a new one


def _who(member: Member) -> str:
    return f"{member.coop_id}.{member.public_id}"


def _digest(member: Member, code: str) -> str:
    message = f"{_who(member)}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def is_proven(*, request, member: Member) -> bool:
    """The visitor signed in as the member, or typed a code for them a moment ago."""
    user = getattr(request, "user", None)
    if member.user_id and user is not None and user.is_authenticated and user.pk == member.user_id:
        return True
    until = request.session.get(PROOF_KEY, {}).get(_who(member))
    return bool(until) and until > time.time()


def code_issue(*, session, member: Member) -> str | None:
    """A new code for `member`, kept (hashed) in `session`; None when the member has no
    email address or had CODES_PER_HOUR codes this hour. The caller mails it."""
    if not member.email:
        return None
    window = int(time.time() // 3600)
    counter = f"members.codes-sent:{_who(member)}:{window}"
    if cache.add(counter, 1, timeout=3700):
        sent = 1
    else:
        try:
            sent = cache.incr(counter)
        except ValueError:
            cache.add(counter, 1, timeout=3700)
            sent = 1
    if sent > CODES_PER_HOUR:
        return None
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    session[CODE_KEY] = {
        "who": _who(member),
        "digest": _digest(member, code),
        "expires": time.time() + CODE_TTL.total_seconds(),
        "attempts": 0,
    }
    return code


def code_pending(*, session, member: Member) -> bool:
    """A code was asked for this member in this session and can still be typed."""
    pending = session.get(CODE_KEY)
    return bool(
        pending
        and pending.get("who") == _who(member)
        and pending.get("expires", 0) > time.time()
        and pending.get("attempts", 0) < CODE_ATTEMPTS
    )


def code_check(*, session, member: Member, code: str) -> CodeCheck:
    """Check a typed code: on success the session holds the proof (and the code is spent)."""
    if not code_pending(session=session, member=member):
        session.pop(CODE_KEY, None)
        return CodeCheck.USED_UP
    pending = dict(session[CODE_KEY])
    typed = "".join(ch for ch in code if ch.isdigit())
    if hmac.compare_digest(pending["digest"], _digest(member, typed)):
        session.pop(CODE_KEY, None)
        proofs = {
            who: until for who, until in session.get(PROOF_KEY, {}).items() if until > time.time()
        }
        proofs[_who(member)] = time.time() + PROOF_TTL.total_seconds()
        session[PROOF_KEY] = proofs
        return CodeCheck.OK
    pending["attempts"] = pending.get("attempts", 0) + 1
    session[CODE_KEY] = pending
    if pending["attempts"] >= CODE_ATTEMPTS:
        session.pop(CODE_KEY, None)
        return CodeCheck.USED_UP
    return CodeCheck.WRONG


def attempts_left(*, session, member: Member) -> int:
    pending = session.get(CODE_KEY) or {}
    if pending.get("who") != _who(member):
        return 0
    return max(CODE_ATTEMPTS - pending.get("attempts", 0), 0)
