"""Scoring quizzes and games from the learner's answers (plain data in, plain data out)."""

from dataclasses import dataclass, field


@dataclass
class QuestionResult:
    index: int
    chosen: list[int]
    correct: list[int]
    is_right: bool
    explanations: list[str] = field(default_factory=list)


@dataclass
class QuizResult:
    score: int  # percentage
    passed: bool
    questions: list[QuestionResult]
    survey: bool = False


def grade_quiz(content: dict, answers: dict[int, list[int]]) -> QuizResult:
    """`answers` maps a question index to the indexes of the chosen choices."""
    questions = content.get("questions", [])
    survey = bool(content.get("survey"))
    results = []
    for qi, question in enumerate(questions):
        choices = question.get("choices", [])
        chosen = sorted({c for c in answers.get(qi, []) if 0 <= c < len(choices)})
        correct = [ci for ci, choice in enumerate(choices) if choice.get("correct")]
        is_right = survey or (bool(chosen) and chosen == correct)
        explanations = [
            choices[c].get("explanation", "") for c in chosen if choices[c].get("explanation")
        ]
        if not is_right:
            explanations += [
                choices[c].get("explanation", "")
                for c in correct
                if c not in chosen and choices[c].get("explanation")
            ]
        results.append(QuestionResult(qi, chosen, correct, is_right, explanations))
    right = sum(r.is_right for r in results)
    score = round(100 * right / len(results)) if results else 100
    passed = survey or score >= int(content.get("pass_mark", 0))
    return QuizResult(score=score, passed=passed, questions=results, survey=survey)


@dataclass
class GameResult:
    score: int
    passed: bool
    items: list[dict]


def grade_game(content: dict, answers: dict) -> GameResult:
    """true_false: {i: bool}; ordering: {step_text: position}; matching: {i: target}."""
    game = content.get("game")
    items = []
    if game == "true_false":
        for i, statement in enumerate(content.get("statements", [])):
            given = answers.get(i)
            items.append(
                {
                    "text": statement["text"],
                    "given": given,
                    "expected": statement["answer"],
                    "right": given is statement["answer"],
                    "explanation": statement.get("explanation", ""),
                }
            )
    elif game == "ordering":
        steps = content.get("steps", [])
        for position, step in enumerate(steps, start=1):
            given = answers.get(step)
            items.append(
                {"text": step, "given": given, "expected": position, "right": given == position}
            )
    elif game == "matching":
        for i, pair in enumerate(content.get("pairs", [])):
            given = answers.get(i)
            items.append(
                {
                    "text": pair["item"],
                    "given": given,
                    "expected": pair["match"],
                    "right": given == pair["match"],
                }
            )
    right = sum(item["right"] for item in items)
    score = round(100 * right / len(items)) if items else 100
    return GameResult(score=score, passed=score == 100, items=items)
