from django import template

from coopculture.coops.models import Activity as CoopActivity

register = template.Library()


@register.filter
def activity_labels(codes) -> str:
    labels = dict(CoopActivity.choices)
    # Lower-case the first letter only: "accession à la propriété en VEFA" keeps its acronym.
    names = (str(labels.get(code, code)) for code in codes or [])
    return ", ".join(name[:1].lower() + name[1:] for name in names)
