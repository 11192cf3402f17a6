"""The coop's adaptation of the learning path, under /gestion/<coop_slug>/parcours/.

The coop middleware has resolved the coop, checked the role and opened the scope. A coop
only writes its overlay (CoopModuleSetting); the modules stay the federation's.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from coopculture.coops.models import Activity as CoopActivity
from coopculture.coops.views.decorators import coop_permission_required
from coopculture.learning import selectors, services
from coopculture.learning.errors import LearningError
from coopculture.learning.forms_staff import ModuleSettingForm
from coopculture.learning.models import Module, ModuleStatus


def activity_labels(codes) -> str:
    """The coop activities' names, e.g. for a module's `concerns`."""
    labels = dict(CoopActivity.choices)
    return ", ".join(str(labels.get(code, code)) for code in codes)


def default_status_reason(module: Module, coop) -> str:
    """Why `module` has its default status for `coop`, naming the activities involved."""
    activities = set(coop.activities or [])
    status = module.default_status_for(coop.activities)
    if status == ModuleStatus.NOT_APPLICABLE:
        return _("It concerns only: %(activities)s. Your coop declares none of them.") % {
            "activities": activity_labels(module.concerns)
        }
    if status == ModuleStatus.OPTIONAL:
        return _("It is recommended only for: %(activities)s. Your coop declares none of them.") % {
            "activities": activity_labels(module.recommended_for)
        }
    matched = [a for a in (module.recommended_for or module.concerns) if a in activities]
    if matched:
        return _("Your coop declares: %(activities)s.") % {"activities": activity_labels(matched)}
    return _("It concerns every coop.")


def member_module_url(coop, module: Module) -> str:
    """The module's page for the coop's members."""
    return reverse("learning:module", kwargs={"coop_slug": coop.slug, "module_slug": module.slug})


@coop_permission_required("learning.adapt_path")
def module_list(request, coop_slug):
    coop = request.coop
    items = selectors.coop_module_list(coop=coop)
    rows = [
        {
            "item": item,
            "default_label": ModuleStatus(item.default_status).label,
            "reason": default_status_reason(item.module, coop),
            "chosen_label": (
                ModuleStatus(item.setting.status).label
                if item.setting and item.setting.status
                else ""
            ),
        }
        for item in items
    ]
    return render(
        request,
        "learning/staff/module_list.html",
        {"rows": rows, "highlighted_count": sum(1 for item in items if item.highlighted)},
    )


@coop_permission_required("learning.adapt_path")
def module_adapt(request, coop_slug, module_slug):
    coop = request.coop
    item = selectors.access_coop_module(coop=coop, slug=module_slug)
    form = ModuleSettingForm(request.POST or None, item=item, coop=coop)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.module_setting_update(
                coop=coop,
                actor=request.user,
                module=item.module,
                status=data["status"],
                highlighted=data["highlighted"],
                highlight_position=data["highlight_position"],
                note=data["note"],
            )
        except (LearningError, ValidationError):
            form.add_error(None, _("These choices could not be saved: check them and try again."))
        else:
            messages.success(
                request,
                _("The module “%(title)s” is adapted for %(name)s.")
                % {"title": item.module.title, "name": coop.name},
            )
            return redirect("learning_staff:modules", coop_slug=coop.slug)
    return render(
        request,
        "learning/staff/module_adapt.html",
        {
            "item": item,
            "form": form,
            "default_label": ModuleStatus(item.default_status).label,
            "reason": default_status_reason(item.module, coop),
            "activity_count": len(item.module.steps.all()),
            "member_url": member_module_url(coop, item.module),
        },
    )
