"""The coop dashboard's cards: what each feature app has done for the coop, with a few live
figures, read in ONE query whatever the data size.

The coops app sits below the feature apps (they import it, never the reverse), so each app
registers a card from its AppConfig.ready():

    from coopculture.coops import dashboard

    dashboard.register(dashboard.Card(
        key="members", order=10, figures=member_figures, present=member_card))

`figures(coop)` returns {name: expression}: scalar subqueries over the app's own rows,
filtered on the coop (use count_of / sum_of / distinct_count_of below). The dashboard
annotates them all onto one row of the coop (one SELECT for every card), then calls
`present(coop, values)` with the values (names prefixed with the card's key), which
builds the card without any further query.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, Subquery, Sum, Value
from django.db.models.functions import Coalesce


@dataclass(frozen=True)
class Figure:
    label: str
    value: int | str


@dataclass(frozen=True)
class Action:
    label: str
    url: str
    permission: str  # coops.permissions: shown only to those who hold it


@dataclass(frozen=True)
class CardView:
    title: str
    done: list[str] = field(default_factory=list)  # what is already set up or done
    figures: list[Figure] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    empty: bool = False  # nothing done yet: the card invites to start


@dataclass(frozen=True)
class Card:
    key: str
    order: int
    figures: Callable  # (coop) -> {name: expression}
    present: Callable  # (coop, values: dict) -> CardView


_registry: dict[str, Card] = {}


def register(card: Card) -> Card:
    existing = _registry.get(card.key)
    if existing is not None and existing != card:
        raise ValueError(f"A dashboard card named {card.key!r} is already registered.")
    _registry[card.key] = card
    return card


def registered_cards() -> list[Card]:
    return sorted(_registry.values(), key=lambda card: (card.order, card.key))


def _scalar(queryset, aggregate):
    """One number of `queryset` (already filtered on the coop), as a scalar subquery."""
    rows = queryset.order_by().values("coop").annotate(_n=aggregate).values("_n")[:1]
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def count_of(queryset):
    return _scalar(queryset, Count("pk"))


def distinct_count_of(queryset, field_name: str):
    return _scalar(queryset, Count(field_name, distinct=True))


def sum_of(queryset, field_name: str):
    return _scalar(queryset, Sum(field_name))
