""" "Mon espace" (/mon-espace/): a signed-in person's coops.

Staff find their coops' back offices; learners find the coops where they are a member or
have followed the path, their progress module by module and their certificates."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from coopculture.coops.selectors import coop_list_for_user
from coopculture.learning import learners, selectors


@require_safe
@login_required
def spaces(request):
    return render(
        request,
        "coops/spaces.html",
        {
            "staff_coops": coop_list_for_user(user=request.user),
            "learner_spaces": selectors.learner_spaces(
                user=request.user, learner_key=learners.learner_key_for(request, create=False)
            ),
        },
    )
