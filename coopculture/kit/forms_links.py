"""The staff form of a tracked link: a channel (fixed once created), a name, a target."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coopculture.kit.models import Channel, TargetKind, TrackedLink

LANDING = "landing"


def encode_target(kind: str, module_slug: str = "", position: int | None = None) -> str:
    if kind == TargetKind.MODULE:
        return f"module:{module_slug}"
    if kind == TargetKind.ACTIVITY:
        return f"activity:{module_slug}:{position}"
    return LANDING


def decode_target(value: str) -> dict:
    kind, _sep, rest = value.partition(":")
    if kind == TargetKind.MODULE:
        return {"target_kind": TargetKind.MODULE, "module_slug": rest, "activity_position": None}
    if kind == TargetKind.ACTIVITY:
        slug, _sep, position = rest.rpartition(":")
        return {
            "target_kind": TargetKind.ACTIVITY,
            "module_slug": slug,
            "activity_position": int(position),
        }
    return {"target_kind": TargetKind.LANDING, "module_slug": "", "activity_position": None}


def target_choices(modules, *, current: str | None = None) -> list:
    """One select, grouped by module: the landing page, then each module and its steps."""
    choices = [(LANDING, gettext("The coop's MOOC page (recommended)"))]
    values = {LANDING}
    for module in modules:
        group = [
            (f"module:{module.slug}", gettext("The module: %(title)s") % {"title": module.title})
        ]
        for position, title in module.activities:
            group.append(
                (
                    f"activity:{module.slug}:{position}",
                    gettext("Step %(position)s: %(title)s")
                    % {"position": position, "title": title},
                )
            )
        values.update(value for value, _label in group)
        choices.append((module.title, group))
    if current and current not in values:
        choices.append(
            (current, gettext("Current target, no longer published (leads to the MOOC page)"))
        )
    return choices


class LinkForm(forms.Form):
    label = forms.CharField(
        label=_("Name"),
        max_length=TrackedLink._meta.get_field("label").max_length,
        help_text=_(
            "For your team only, e.g. “Newsletter de mars” or “Affiche agence de Lorient”."
        ),
    )
    channel = forms.ChoiceField(
        label=_("Link channel"),
        choices=Channel.choices,
        help_text=_(
            "Where the link will appear. It cannot change afterwards: the figures are "
            "counted per channel."
        ),
    )
    target = forms.ChoiceField(
        label=_("Where the link leads"),
        help_text=_("You can change it at any time, even after printing: the code stays the same."),
    )

    def __init__(self, *args, modules, editing: TrackedLink | None = None, **kwargs):
        current = None
        if editing is not None:
            current = encode_target(
                editing.target_kind, editing.module_slug, editing.activity_position
            )
            kwargs.setdefault("initial", {"label": editing.label, "target": current})
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = target_choices(modules, current=current)
        if editing is not None:
            del self.fields["channel"]

    def clean_label(self):
        return self.cleaned_data["label"].strip()

    def target_fields(self) -> dict:
        return decode_target(self.cleaned_data["target"])
