import functools

from django.core.exceptions import PermissionDenied
from django.http import Http404

from coopculture.coops.permissions import request_has_permission


def coop_permission_required(permission: str):
    """Staff view guard. The middleware already answered 404 to anyone without a role
    in the coop; a role without this permission gets 403 (they know the coop)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if getattr(request, "coop", None) is None or request.coop_role is None:
                raise Http404
            if not request_has_permission(request, permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.coop_permission = permission
        return wrapper

    return decorator


def federation_required(view):
    """The federation space: 404 for everyone but the federation team."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_federation_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
