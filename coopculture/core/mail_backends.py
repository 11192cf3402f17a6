"""A console mail backend a person can read: headers and the decoded plain-text part.

Used when no SMTP server is configured (the demo): sign-in codes and invitation links
appear in the terminal as they would in a mailbox, without quoted-printable escapes.
"""

import sys
import threading

from django.core.mail.backends.base import BaseEmailBackend


class ReadableConsoleBackend(BaseEmailBackend):
    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        with self._lock:
            for message in email_messages:
                lines = [
                    "=" * 79,
                    f"E-mail (mailer « {self.alias} ») – {message.subject}",
                    f"De : {message.from_email}",
                    f"À : {', '.join(message.to)}",
                    "-" * 79,
                    message.body.rstrip(),
                    "=" * 79,
                ]
                self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()
        return len(email_messages)
