from django.http import Http404
from django.urls import Resolver404, resolve

from coopculture.coops.permissions import FEDERATION
from coopculture.coops.scoping import coop_scope
from coopculture.coops.selectors import coop_get_active, membership_for_user

STAFF_PREFIX = "gestion/"
SESSION_FEDERATION_VISITS = "federation_visits"


class CoopMiddleware:
    """Resolve the coop once per request and run the whole request inside its scope.

    - `/c/<coop_slug>/...` (member pages): anyone; the coop must exist and be active.
    - `/gestion/<coop_slug>/...` (back office): only users with a role in that coop, or
      the federation team; everyone else gets the same 404 as for a coop that does not
      exist, so nothing tells them it does.
    Sets request.coop, request.membership and request.coop_role.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.coop = None
        request.membership = None
        request.coop_role = None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        slug = match.kwargs.get("coop_slug")
        if slug is None:
            return self.get_response(request)

        coop = coop_get_active(slug=slug)
        if coop is None:
            raise Http404
        with coop_scope(coop):
            membership, role = None, None
            user = request.user
            if user.is_authenticated:
                membership = membership_for_user(coop=coop, user=user)
                if membership is not None:
                    role = membership.role
                elif user.is_federation_staff:
                    role = FEDERATION
            is_staff_area = match.route.startswith(STAFF_PREFIX)
            if is_staff_area and role is None:
                # Same answer as for a coop that does not exist (nothing on the page
                # may name the coop, so request.coop stays unset).
                raise Http404
            request.coop, request.membership, request.coop_role = coop, membership, role
            if is_staff_area and role == FEDERATION:
                self._audit_federation_visit(request, coop)
            return self.get_response(request)

    @staticmethod
    def _audit_federation_visit(request, coop) -> None:
        """The federation team sees every back office, and each coop sees when it did."""
        visited = request.session.get(SESSION_FEDERATION_VISITS, [])
        if coop.pk in visited:
            return
        from coopculture.coops.services import audit_log

        audit_log(coop=coop, actor=request.user, action="coop.federation_visit")
        request.session[SESSION_FEDERATION_VISITS] = [*visited, coop.pk]
