from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Every form renders through our accessible templates (error summary, described fields)."""

    form_template_name = "components/form.html"
    field_template_name = "components/field.html"
