"""Members' contact details, in one form wherever they come from (import, staff form).

Email addresses: surrounding spaces (also non-breaking and zero-width ones, as pasted from
a spreadsheet or a PDF) are removed and the WHOLE address is lower-cased. The domain is
case-insensitive by the standard; the local part may in theory be case-sensitive, but no
mailbox provider our members use treats "Jean.Dupont@" and "jean.dupont@" as two people,
the suppression list already compares lower-cased addresses (campaigns.services.email_hash)
and the same person typed twice with another case must be recognised as one address (one
message per send, one unsubscribe for both). An accented domain (jose@exémple.fr) is
stored in its ASCII form (IDNA, xn--…): it is the form mail headers need. An accented
local part (josé@…) needs SMTPUTF8, which many servers refuse: such an address is
refused with a message.

Phones (the phonenumbers library, ADR 0015): French numbers are checked and written in
the national form (06 12 34 56 78); a 9-digit number is a French number whose leading 0
a spreadsheet dropped; a number in scientific notation (6,12346E+08) has lost digits and
cannot be restored. Foreign numbers (+41 …) are kept in the international form.

Numbers of the overseas departments (0690…, 0692…) are French numbers with their own
country codes: they are tried when a number is not a metropolitan one.

Postcodes: five digits; four digits are a French postcode whose leading 0 was dropped.
"""

import re
import unicodedata

import phonenumbers

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
SCIENTIFIC = re.compile(r"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$")
POSTCODE = re.compile(r"^\d{5}$")
PLAIN = re.compile(r"^[\d .\-/]+$")  # digits and the usual separators, nothing else
MAX_PHONE_LENGTH = 30
# Guadeloupe (and Saint-Martin, Saint-Barthélemy), Martinique, Guyane, La Réunion, Mayotte,
# Saint-Pierre-et-Miquelon: dialled with a 0 from France, written in the national form.
OVERSEAS = ("GP", "MQ", "GF", "RE", "YT", "PM")
FRENCH_CODES = frozenset({33, 262, 269, 508, 590, 594, 596})


class ContactError(ValueError):
    """`code` and a translated `message` for the user."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def normalise_email(value: str) -> str:
    """The address in its stored form ("" for an empty cell); ContactError if unusable."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFC", str(value or "")))
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ContactError(
            "invalid_email", _("“%(value)s” is not a valid email address.") % {"value": value}
        )
    if not local.isascii():
        raise ContactError(
            "accented_email",
            _(
                "“%(value)s”: the part before the @ has accented or special letters, which "
                "many mail servers cannot deliver. Ask the member for another address."
            )
            % {"value": value},
        )
    try:
        domain = domain.lower().encode("idna").decode("ascii")
    except UnicodeError:
        raise ContactError(
            "invalid_email", _("“%(value)s” is not a valid email address.") % {"value": value}
        ) from None
    address = f"{local.lower()}@{domain}"
    try:
        validate_email(address)
    except ValidationError:
        raise ContactError(
            "invalid_email", _("“%(value)s” is not a valid email address.") % {"value": value}
        ) from None
    if len(address) > 254:
        raise ContactError(
            "invalid_email", _("“%(value)s” is not a valid email address.") % {"value": value}
        )
    return address


def display_email(address: str) -> str:
    """The address as people read it (an IDNA domain shown with its accents)."""
    local, at, domain = (address or "").rpartition("@")
    if not at or "xn--" not in domain:
        return address
    try:
        return f"{local}@{domain.encode('ascii').decode('idna')}"
    except UnicodeError:
        return address


def normalise_phone(value) -> str:
    """The number in its stored form ("" for an empty cell); ContactError if unusable.

    `value` is text, or a number when a spreadsheet typed the cell as one."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        raise ContactError(
            "invalid_phone", _("“%(value)s” is not a phone number.") % {"value": value}
        )
    if isinstance(value, float):
        if not value.is_integer():
            raise _lost_digits(value)
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        if len(text) == 9:
            text = "0" + text  # a French number typed as a number lost its 0
    else:
        text = " ".join(str(value).split())
    if SCIENTIFIC.match(text.replace(" ", "")):
        raise _lost_digits(value)
    digits = re.sub(r"\D", "", text)
    if not text.startswith(("+", "00")) and len(digits) == 9 and digits[0] in "123456789":
        text = "0" + digits  # the text of a number whose 0 was dropped
    number = None
    if len(digits) == 10 and digits[:1] == "0" and digits[1] != "0" and PLAIN.match(text):
        # The usual case (06 12 34 56 78, 06.12.34.56.78): no need to parse the text.
        direct = phonenumbers.PhoneNumber(country_code=33, national_number=int(digits[1:]))
        number = direct if phonenumbers.is_valid_number(direct) else None
        if number is not None and digits[1] != "8":  # 08 numbers are written 0 800 …
            return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    number = number or _parsed(text, "FR")
    if number is None and not text.startswith(("+", "00")):
        # Overseas departments share the national plan (0690…, 0692…, 0594…) but have
        # their own country codes.
        number = next(filter(None, (_parsed(text, region) for region in OVERSEAS)), None)
    if number is None:
        raise ContactError(
            "invalid_phone",
            _(
                "“%(value)s” is not a valid phone number: write it with its 10 digits "
                "(06 12 34 56 78), or with its country code (+41 22 123 45 67)."
            )
            % {"value": value},
        )
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code in FRENCH_CODES
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)[:MAX_PHONE_LENGTH]


def _parsed(text: str, region: str):
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _lost_digits(value) -> ContactError:
    return ContactError(
        "phone_lost_digits",
        _(
            "“%(value)s”: the spreadsheet turned this phone number into a rounded number and "
            "its last digits are lost. Format the column as text, type the numbers again "
            "and export the file again."
        )
        % {"value": value},
    )


def normalise_postcode(value) -> str:
    """A French postcode ("" for an empty cell); ContactError if it is not one."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "".join(str(value).split())
    if re.fullmatch(r"\d{4}", text):
        text = "0" + text  # a postcode typed as a number lost its 0 (01000 → 1000)
    if not POSTCODE.match(text):
        raise ContactError(
            "invalid_postcode",
            _("“%(value)s” is not a French postcode: it has five digits, for example 69003.")
            % {"value": value},
        )
    return text
