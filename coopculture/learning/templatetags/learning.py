from django import template

from coopculture.coops.models import Activity as CoopActivity

register = template.Library()


@register.filter
def activity_labels(codes) -> str:
    labels = dict(CoopActivity.choices)
    return ", ".join(str(labels.get(code, code)).lower() for code in codes or [])
