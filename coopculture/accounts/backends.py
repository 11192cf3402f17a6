from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from coopculture.accounts import selectors


class VerifiedEmailBackend(ModelBackend):
    """Email and password sign-in, through verified addresses only.

    An address someone attached to their account without proving it must never be a way
    in (nor a way for its owner to land in that account). Listed first: for every email
    and password it either signs in the holder of the verified address or refuses outright
    (PermissionDenied stops Django trying the next backends, which would match any
    address on the user table or allauth's address list).
    """

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        address = email or username
        if not address or password is None:
            return None
        user = selectors.user_by_verified_email(email=address)
        if user is None:
            # Same work as a real check, so timing tells nothing about the address.
            get_user_model()().set_password(password)
            raise PermissionDenied
        if not (user.check_password(password) and self.user_can_authenticate(user)):
            raise PermissionDenied
        return user
