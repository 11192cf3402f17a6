"""Forms of the member import: the upload, then what each column holds."""

from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coopculture.members import importing

ACCEPT = ",".join(
    [
        *importing.CSV_EXTENSIONS,
        *importing.XLSX_EXTENSIONS,
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File to import"),
        help_text=_(
            "A CSV file or an Excel file (.xlsx), 20 MB at most, with the column names on "
            "the first row."
        ),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        extension = Path(upload.name).suffix.lower()
        if extension in importing.OTHER_SPREADSHEETS:
            raise ValidationError(
                _(
                    "This spreadsheet format cannot be read: save it as Excel (.xlsx) or as "
                    "CSV, then upload it again."
                ),
                code="file_type",
            )
        if extension not in (*importing.CSV_EXTENSIONS, *importing.XLSX_EXTENSIONS):
            raise ValidationError(
                _("Choose a CSV file (.csv) or an Excel file (.xlsx)."), code="file_type"
            )
        if upload.size > importing.MAX_FILE_SIZE:
            size, limit = filesizeformat(upload.size), filesizeformat(importing.MAX_FILE_SIZE)
            if size == limit:  # just over the limit: rounded, both would read "20,0 Mo"
                size = _("%(bytes)s bytes") % {
                    "bytes": number_format(upload.size, force_grouping=True)
                }
                limit = _("%(bytes)s bytes") % {
                    "bytes": number_format(importing.MAX_FILE_SIZE, force_grouping=True)
                }
            raise ValidationError(
                _(
                    "This file weighs %(size)s: the limit is %(limit)s. "
                    "Split it into several files."
                ),
                code="too_big",
                params={"size": size, "limit": limit},
            )
        if upload.size == 0:
            raise ValidationError(_("The file is empty."), code="empty")
        return upload


class SheetForm(forms.Form):
    """Which sheet of the workbook holds the members."""

    def __init__(self, *args, sheets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sheet"] = forms.ChoiceField(
            label=_("Sheet to read"), choices=[(name, name) for name in sheets]
        )


class MappingForm(forms.Form):
    """One choice per column of the file: which member field it holds, or nothing."""

    def __init__(
        self, *args, coop, headers: list[str], samples: list[list[str]], targets, **kwargs
    ):
        super().__init__(*args, **kwargs)
        choices = importing.target_choices(coop)
        self.headers = headers
        for index, header in enumerate(headers):
            examples = samples[index] if index < len(samples) else []
            if examples:
                quoted = [gettext("“%(value)s”") % {"value": e} for e in examples]
                help_text = format_html(
                    "{} {}", _("Examples:"), format_html_join(", ", "{}", ((q,) for q in quoted))
                )
            else:
                help_text = _("Empty in the first rows.")
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=_("Column “%(name)s”") % {"name": header},
                choices=choices,
                required=False,
                initial=targets[index] if index < len(targets) else "",
                help_text=help_text,
            )

    def targets(self) -> list[str]:
        return [self.cleaned_data.get(f"col_{i}") or "" for i in range(len(self.headers))]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for problem in importing.mapping_problems(self.targets()):
                self.add_error(None, problem)
        return cleaned
