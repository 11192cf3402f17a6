"""Member forms: one Django form per quiz or game, built from the activity's content.

Each form turns the learner's answers into the shape `learning.grading` expects
(`answers()`), and can be rebuilt from the raw values kept in the session (`raw()`), so a
result page can be shown after a redirect.
"""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

EMPTY_CHOICE = ("", gettext_lazy("Choose…"))


class AnswerForm(forms.Form):
    """Base: built from an activity's content; `answers()` for the grading functions."""

    def __init__(self, content: dict, *args, **kwargs):
        kwargs.setdefault("auto_id", "answer-%s")
        kwargs.setdefault("label_suffix", "")  # questions end with their own "?"
        super().__init__(*args, **kwargs)
        self.content = content
        self.build()

    def build(self) -> None:
        raise NotImplementedError

    def raw(self) -> dict[str, list[str]]:
        """The submitted values, JSON-friendly (to rebuild the form on the result page)."""
        return {name: self.data.getlist(name) for name in self.fields if name in self.data}

    def answers(self) -> dict:
        raise NotImplementedError


class QuizForm(AnswerForm):
    """One field per question: radio buttons (single choice) or checkboxes (multiple)."""

    def build(self) -> None:
        for qi, question in enumerate(self.content.get("questions", [])):
            choices = [(str(ci), c["text"]) for ci, c in enumerate(question.get("choices", []))]
            if question.get("multiple"):
                self.fields[f"q{qi}"] = forms.MultipleChoiceField(
                    label=question["text"],
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple,
                    help_text=_("Several answers are possible."),
                    error_messages={"required": _("Tick at least one answer.")},
                )
            else:
                self.fields[f"q{qi}"] = forms.ChoiceField(
                    label=question["text"],
                    choices=choices,
                    widget=forms.RadioSelect,
                    error_messages={"required": _("Choose an answer.")},
                )

    def answers(self) -> dict[int, list[int]]:
        result = {}
        for name, value in self.cleaned_data.items():
            values = value if isinstance(value, list) else [value]
            result[int(name[1:])] = [int(v) for v in values]
        return result


class TrueFalseForm(AnswerForm):
    def build(self) -> None:
        for i, statement in enumerate(self.content.get("statements", [])):
            self.fields[f"s{i}"] = forms.ChoiceField(
                label=statement["text"],
                choices=[("true", _("True")), ("false", _("False"))],
                widget=forms.RadioSelect,
                error_messages={"required": _("Answer true or false.")},
            )

    def answers(self) -> dict[int, bool]:
        return {int(name[1:]): value == "true" for name, value in self.cleaned_data.items()}


def shuffled_steps(steps: list[str]) -> list[str]:
    """The steps in a fixed order that is not the right one's giveaway: sorted by text."""
    return sorted(steps, key=str.casefold)


class OrderingForm(AnswerForm):
    """For each step (shown sorted by text), a list of positions 1..n."""

    def build(self) -> None:
        self.steps = shuffled_steps(list(self.content.get("steps", [])))
        positions = [EMPTY_CHOICE] + [(str(p), str(p)) for p in range(1, len(self.steps) + 1)]
        for i, step in enumerate(self.steps):
            self.fields[f"o{i}"] = forms.TypedChoiceField(
                label=step,
                choices=positions,
                coerce=int,
                error_messages={"required": _("Give this step its position.")},
            )

    def clean(self):
        cleaned = super().clean()
        given = [v for k, v in cleaned.items() if k.startswith("o")]
        if len(given) == len(self.steps) and len(set(given)) != len(given):
            raise forms.ValidationError(
                _("Each position can be given only once: give every step a different number.")
            )
        return cleaned

    def answers(self) -> dict[str, int]:
        return {self.steps[int(name[1:])]: value for name, value in self.cleaned_data.items()}


class MatchingForm(AnswerForm):
    """For each item, the list of the game's targets."""

    def build(self) -> None:
        targets = [EMPTY_CHOICE] + [(t, t) for t in self.content.get("targets", [])]
        for i, pair in enumerate(self.content.get("pairs", [])):
            self.fields[f"m{i}"] = forms.ChoiceField(
                label=pair["item"],
                choices=targets,
                error_messages={"required": _("Choose the matching answer.")},
            )

    def answers(self) -> dict[int, str]:
        return {int(name[1:]): value for name, value in self.cleaned_data.items()}


GAME_FORMS = {"true_false": TrueFalseForm, "ordering": OrderingForm, "matching": MatchingForm}


def answer_form_for(activity, *args, **kwargs) -> AnswerForm | None:
    """The form for a quiz or game activity (None for the other kinds)."""
    if activity.kind == "quiz":
        return QuizForm(activity.content, *args, **kwargs)
    if activity.kind == "game":
        form_class = GAME_FORMS.get(activity.content.get("game"))
        return form_class(activity.content, *args, **kwargs) if form_class else None
    return None
