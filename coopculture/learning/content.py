"""The content of each activity kind: its JSON shape, checked with every error reported.

    text         {"body": markdown}
    video        {"transcript": markdown, "external_url": "", "duration_seconds": 0,
                  "demo": false}   (+ the Activity's media / captions / poster files)
    testimonial  {"quote": str, "person": str, "role": str, "transcript": markdown}
    quiz         {"pass_mark": 0-100, "survey": false, "questions": [
                    {"text": str, "multiple": false,
                     "choices": [{"text": str, "correct": bool, "explanation": str}]}]}
    game         {"game": "true_false", "intro": str,
                  "statements": [{"text": str, "answer": bool, "explanation": str}]}
                 {"game": "ordering", "intro": str, "steps": [str, ...]}  (right order)
                 {"game": "matching", "intro": str,
                  "pairs": [{"item": str, "match": str}], "targets": [str, ...]}
    leaflet      {"intro": markdown, "sections": [{"title": str, "body": markdown}]}

Markdown bodies may hold example blocks tagged with coop activities:
    ::: exemple gestion_locative
    ...
    :::
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

GAME_KINDS = ("true_false", "ordering", "matching")
EXTERNAL_VIDEO_PREFIXES = ("https://",)


class _Errors(list):
    def need_text(self, data, key, where, *, required=True, max_length=5000):
        value = data.get(key, "")
        if not isinstance(value, str):
            self.append(_("%(where)s: “%(key)s” must be text.") % {"where": where, "key": key})
        elif required and not value.strip():
            self.append(_("%(where)s: “%(key)s” is missing.") % {"where": where, "key": key})
        elif len(value) > max_length:
            self.append(
                _("%(where)s: “%(key)s” is longer than %(max)s characters.")
                % {"where": where, "key": key, "max": max_length}
            )

    def need_list(self, data, key, where, *, minimum=1) -> list:
        value = data.get(key)
        if not isinstance(value, list) or len(value) < minimum:
            self.append(
                _("%(where)s: “%(key)s” must be a list of at least %(min)s items.")
                % {"where": where, "key": key, "min": minimum}
            )
            return []
        return value


def _check_quiz(data, errors: _Errors) -> None:
    pass_mark = data.get("pass_mark", 0)
    if not isinstance(pass_mark, int) or isinstance(pass_mark, bool) or not 0 <= pass_mark <= 100:
        errors.append(_("Quiz: the pass mark must be a whole number from 0 to 100."))
    survey = bool(data.get("survey", False))
    for qi, question in enumerate(errors.need_list(data, "questions", _("Quiz")), start=1):
        where = _("Question %(n)s") % {"n": qi}
        if not isinstance(question, dict):
            errors.append(_("%(where)s must be an object.") % {"where": where})
            continue
        errors.need_text(question, "text", where, max_length=500)
        choices = errors.need_list(question, "choices", where, minimum=2)
        correct = 0
        for ci, choice in enumerate(choices, start=1):
            cwhere = _("%(where)s, choice %(n)s") % {"where": where, "n": ci}
            if not isinstance(choice, dict):
                errors.append(_("%(where)s must be an object.") % {"where": cwhere})
                continue
            errors.need_text(choice, "text", cwhere, max_length=300)
            errors.need_text(choice, "explanation", cwhere, required=False, max_length=800)
            correct += bool(choice.get("correct"))
        if choices and not survey:
            if correct == 0:
                errors.append(_("%(where)s has no right answer.") % {"where": where})
            elif correct > 1 and not question.get("multiple"):
                errors.append(
                    _("%(where)s has several right answers but is not multiple-choice.")
                    % {"where": where}
                )


def _check_game(data, errors: _Errors) -> None:
    game = data.get("game")
    if game not in GAME_KINDS:
        errors.append(
            _("Game: the kind must be one of %(kinds)s.") % {"kinds": ", ".join(GAME_KINDS)}
        )
        return
    errors.need_text(data, "intro", _("Game"), required=False, max_length=1000)
    if game == "true_false":
        for i, statement in enumerate(errors.need_list(data, "statements", _("Game")), start=1):
            where = _("Statement %(n)s") % {"n": i}
            if not isinstance(statement, dict):
                errors.append(_("%(where)s must be an object.") % {"where": where})
                continue
            errors.need_text(statement, "text", where, max_length=400)
            if not isinstance(statement.get("answer"), bool):
                errors.append(_("%(where)s: the answer must be true or false.") % {"where": where})
    elif game == "ordering":
        steps = errors.need_list(data, "steps", _("Game"), minimum=3)
        if any(not isinstance(step, str) or not step.strip() for step in steps):
            errors.append(_("Game: every step must be a non-empty text."))
        elif len(set(steps)) != len(steps):
            errors.append(_("Game: two steps have the same text."))
    else:
        targets = errors.need_list(data, "targets", _("Game"), minimum=2)
        for i, pair in enumerate(errors.need_list(data, "pairs", _("Game"), minimum=2), start=1):
            where = _("Pair %(n)s") % {"n": i}
            if not isinstance(pair, dict):
                errors.append(_("%(where)s must be an object.") % {"where": where})
                continue
            errors.need_text(pair, "item", where, max_length=200)
            if pair.get("match") not in targets:
                errors.append(
                    _("%(where)s: its answer is not one of the game's targets.") % {"where": where}
                )


def _check_video(data, errors: _Errors) -> None:
    errors.need_text(data, "transcript", _("Video"), max_length=20000)
    url = data.get("external_url", "")
    if url and not (isinstance(url, str) and url.startswith(EXTERNAL_VIDEO_PREFIXES)):
        errors.append(_("Video: the link to a video host must start with https://."))


def _check_testimonial(data, errors: _Errors) -> None:
    errors.need_text(data, "quote", _("Testimonial"), max_length=1500)
    errors.need_text(data, "person", _("Testimonial"), max_length=120)
    errors.need_text(data, "role", _("Testimonial"), required=False, max_length=200)
    errors.need_text(data, "transcript", _("Testimonial"), required=False, max_length=20000)


def _check_leaflet(data, errors: _Errors) -> None:
    errors.need_text(data, "intro", _("Leaflet"), max_length=3000)
    for i, section in enumerate(errors.need_list(data, "sections", _("Leaflet")), start=1):
        where = _("Leaflet section %(n)s") % {"n": i}
        if not isinstance(section, dict):
            errors.append(_("%(where)s must be an object.") % {"where": where})
            continue
        errors.need_text(section, "title", where, max_length=120)
        errors.need_text(section, "body", where, max_length=3000)


def _check_text(data, errors: _Errors) -> None:
    errors.need_text(data, "body", _("Text"), max_length=20000)


CHECKS = {
    "text": _check_text,
    "video": _check_video,
    "testimonial": _check_testimonial,
    "quiz": _check_quiz,
    "game": _check_game,
    "leaflet": _check_leaflet,
}


def content_errors(kind: str, data) -> list[str]:
    """Every problem in `data` for an activity of `kind`, in plain French (empty if valid)."""
    check = CHECKS.get(kind)
    if check is None:
        return [_("Unknown activity kind: %(kind)s.") % {"kind": kind}]
    if not isinstance(data, dict):
        return [_("The content must be an object.")]
    errors = _Errors()
    check(data, errors)
    return list(errors)


def validate_content(kind: str, data) -> None:
    errors = content_errors(kind, data)
    if errors:
        raise ValidationError(errors)
