"""Demo members of DOMAIN.md §7.1: about 200 fictional coopérateurs in the 3 demo coops.

Everything is invented: names drawn from fixed lists with a seeded random generator
(the same people at every load), addresses in the fictional towns (postcodes 99xxx do not
exist), emails @example.org, phone numbers in the ranges reserved for fiction. Programme
dates are relative to today, so every stage (réservataire, en chantier, livré,
copropriétaire, locataire) is right whenever the demo is loaded. Idempotent: members are
keyed by their reference (external_ref), programmes by their name.
"""

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from coopculture.coops.models import Coop, Membership, Role
from coopculture.coops.scoping import coop_scope
from coopculture.members import links, selectors, services
from coopculture.members.models import (
    Channel,
    ConsentRecord,
    ConsentSource,
    ContractKind,
    DeliveryDateChange,
    LegalBasis,
    Member,
    ProfileKind,
    Programme,
    ProgrammeKind,
    Purpose,
    Stage,
)

SEED = "culture-coop-demo-members"
DEMO_USER_EMAIL = "membre@example.org"  # coops.demo's member account (Léa Moreau)


def months(n: float) -> dt.timedelta:
    return dt.timedelta(days=round(30.44 * n))


# --- Names, places -------------------------------------------------------------------------

FIRST_NAMES_F = [
    "Agathe", "Aïcha", "Alice", "Amandine", "Anaïs", "Anne", "Brigitte", "Camille", "Carole",
    "Catherine", "Céline", "Chantal", "Chloé", "Claire", "Clémence", "Danielle", "Delphine",
    "Élodie", "Émilie", "Fatima", "Florence", "Françoise", "Gaëlle", "Hélène", "Isabelle",
    "Jacqueline", "Jeanne", "Julie", "Justine", "Karima", "Laetitia", "Laura", "Léna",
    "Linh", "Louise", "Lucie", "Malika", "Manon", "Marie", "Marine", "Martine", "Mathilde",
    "Monique", "Nathalie", "Nicole", "Noémie", "Océane", "Pauline", "Rose", "Sabrina",
    "Samia", "Sandrine", "Sophie", "Suzanne", "Sylvie", "Valérie", "Virginie", "Yasmine",
    "Zoé", "Nadège",
]  # fmt: skip
FIRST_NAMES_M = [
    "Adrien", "Alain", "Alexandre", "Antoine", "Arnaud", "Bernard", "Bruno", "Christophe",
    "Claude", "Damien", "David", "Didier", "Dominique", "Éric", "Étienne", "Fabrice",
    "Florian", "François", "Gérard", "Guillaume", "Hugo", "Jacques", "Jean", "Jérôme",
    "Julien", "Kévin", "Laurent", "Lucas", "Mamadou", "Marc", "Mathieu", "Maxime",
    "Mehdi", "Michel", "Mohamed", "Nicolas", "Olivier", "Pascal", "Patrick", "Paul",
    "Philippe", "Pierre", "Quentin", "Rachid", "Raphaël", "Rémi", "Romain", "Samuel",
    "Sébastien", "Serge", "Stéphane", "Sylvain", "Théo", "Thierry", "Tony", "Vincent",
    "Xavier", "Yann", "Youssef", "Gilles",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petitjean", "Durand",
    "Leroy", "Morel", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
    "Bertrand", "Roux", "Vincent", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert",
    "Fontaine", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas",
    "Perrin", "Mathieu", "Clement", "Gauthier", "Dumont", "Lopez", "Fontenelle", "Riviere",
    "Lucas", "Brun", "Joly", "Gaillard", "Barre", "Arnaud", "Aubert", "Renaud", "Caron",
    "Benard", "Le Gall", "Le Bihan", "Kerboriou", "Tanguy", "Guillou", "Mercier", "Boyer",
    "Lemaire", "Colin", "Vidal", "Marchand", "Hamon", "Picard", "Bouvier", "Perret",
    "Da Silva", "Ferreira", "Rodrigues", "Haddad", "Benali", "Mansouri", "Diallo", "Traoré",
    "Ndiaye", "Tran", "Pham", "Nguyen-Van", "Kowalski", "Rossi", "Moulin", "Chevalier",
    "Lemoine", "Charpentier", "Meunier", "Maillard", "Collet", "Poirier", "Leclerc",
    "Masson", "Marechal", "Baron", "Renard", "Giraud", "Royer", "Bailly", "Hubert",
    "Tessier", "Lacroix", "Carpentier", "Olivier",
]  # fmt: skip
STREETS = [
    "rue des Mouettes", "allée des Goélands", "rue du Port", "impasse des Filets",
    "rue des Écluses", "chemin des Vignes", "rue du Lavoir", "place de la Halle",
    "rue des Tanneurs", "avenue des Tilleuls", "rue des Fileuses", "allée des Tisserands",
    "rue de la Forge", "chemin du Moulin", "rue des Jardins", "rue Pasteur-Fictif",
]  # fmt: skip
ACCESSIBILITY_NOTES = [
    "Préfère être appelé·e le matin.",
    "Malentendant·e : privilégier l'écrit ou le SMS.",
    "Se déplace difficilement : prévoir une salle de plain-pied.",
    "Vue basse : documents en gros caractères.",
    "Aide pour les démarches en ligne : sa fille l'accompagne.",
]


# --- Coops and programmes ----------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeSpec:
    name: str
    kind: str
    town: str
    postcode: str
    street: str  # the residence's own address, for those who live there
    members: int
    lot_prefix: str
    home_types: tuple[str, ...]
    dates: dict = field(default_factory=dict)  # field -> offset from today (timedelta)
    lease: bool = False
    lives_there: bool = False  # members' postal address is the residence


@dataclass(frozen=True)
class CoopSpec:
    slug: str
    ref_prefix: str
    towns: tuple[tuple[str, str], ...]  # (postcode, town) where the others live
    programmes: tuple[ProgrammeSpec, ...]


EMBRUNS = "Résidence Les Embruns"
# The delivery of Les Embruns, postponed twice: (initial date, then each postponement
# with its date of decision and its reason), all relative to today.
EMBRUNS_INITIAL = months(3)
EMBRUNS_POSTPONEMENTS = [
    (
        -months(8),
        months(6),
        "Intempéries : les pluies de l'hiver ont arrêté le gros œuvre pendant sept semaines "
        "(journées d'intempéries constatées par le maître d'œuvre).",
    ),
    (
        -months(3),
        months(9),
        "Défaillance de l'entreprise de menuiseries extérieures (liquidation judiciaire) : "
        "un nouveau marché a été passé, la pose reprend avec trois mois de décalage.",
    ),
]

COOP_SPECS = [
    CoopSpec(
        slug="coop-horizon",
        ref_prefix="CH",
        towns=(("99100", "Port-Salicorne"), ("99110", "Salicorne-Plage")),
        programmes=(
            ProgrammeSpec(
                name=EMBRUNS,  # 32 VEFA + 8 BRS homes
                kind=ProgrammeKind.VEFA,
                town="Port-Salicorne",
                postcode="99100",
                street="4 boulevard des Embruns",
                members=46,
                lot_prefix="E",
                home_types=("T2", "T3", "T3", "T4"),
                dates={"reservations_open_on": -months(30), "works_start_on": -months(14)},
            ),
            ProgrammeSpec(
                name="Le Clos des Salines",  # 14 PSLA houses
                kind=ProgrammeKind.PSLA,
                town="Salicorne-Plage",
                postcode="99110",
                street="chemin des Salines",
                members=14,
                lot_prefix="M",
                home_types=("T4", "T5"),
                dates={
                    "reservations_open_on": -months(3),
                    "works_start_on": months(5),
                    "expected_delivery_on": months(23),
                },
            ),
        ),
    ),
    CoopSpec(
        slug="habitat-coteaux",
        ref_prefix="HC",
        towns=(("99200", "Les Coteaux-de-Brume"), ("99210", "Brume-sur-Aulnette")),
        programmes=(
            ProgrammeSpec(
                name="Les Terrasses du Moulin",  # 45 homes, delivered 4 months ago
                kind=ProgrammeKind.VEFA,
                town="Les Coteaux-de-Brume",
                postcode="99200",
                street="2 rue du Moulin",
                members=42,
                lot_prefix="T",
                home_types=("T2", "T3", "T4"),
                dates={
                    "reservations_open_on": -months(42),
                    "works_start_on": -months(28),
                    "expected_delivery_on": -months(4),
                    "delivered_on": -months(4),
                    "coownership_created_on": -months(4),
                },
                lives_there=True,
            ),
            ProgrammeSpec(
                name="Villa Garance",  # 20 homes
                kind=ProgrammeKind.VEFA,
                town="Brume-sur-Aulnette",
                postcode="99210",
                street="11 rue des Garances",
                members=18,
                lot_prefix="G",
                home_types=("T2", "T3", "T4"),
                dates={
                    "reservations_open_on": -months(20),
                    "works_start_on": -months(7),
                    "expected_delivery_on": months(12),
                },
            ),
        ),
    ),
    CoopSpec(
        slug="val-dorme",
        ref_prefix="VO",
        towns=(("99300", "Vald'Orme-sur-Lys"), ("99310", "Orme-les-Fileuses")),
        programmes=(
            ProgrammeSpec(
                name="Résidence Pré-Vert",  # 60 rental homes
                kind=ProgrammeKind.LOCATIF,
                town="Vald'Orme-sur-Lys",
                postcode="99300",
                street="15 avenue du Pré-Vert",
                members=36,
                lot_prefix="PV",
                home_types=("T1", "T2", "T3", "T4", "T5"),
                dates={"works_start_on": -months(96), "delivered_on": -months(72)},
                lease=True,
                lives_there=True,
            ),
            ProgrammeSpec(
                name="Îlot des Tisserands",  # participatory housing, 18 homes, in design
                kind=ProgrammeKind.VEFA,
                town="Vald'Orme-sur-Lys",
                postcode="99300",
                street="allée des Tisserands",
                members=14,
                lot_prefix="IT",
                home_types=("T2", "T3", "T4"),
                dates={"reservations_open_on": -months(10), "expected_delivery_on": months(36)},
            ),
            ProgrammeSpec(
                name="Les Jardins d'Orme",  # 24 BRS homes
                kind=ProgrammeKind.BRS,
                town="Orme-les-Fileuses",
                postcode="99310",
                street="rue des Jardins",
                members=14,
                lot_prefix="J",
                home_types=("T2", "T3", "T4"),
                dates={
                    "reservations_open_on": -months(2),
                    "works_start_on": months(6),
                    "expected_delivery_on": months(26),
                },
            ),
            ProgrammeSpec(
                # Not in DOMAIN.md's list: the PSLA houses where Inès Barbier is a
                # locataire-accédante (delivered, no co-ownership: individual houses).
                name="Le Hameau des Fileuses",
                kind=ProgrammeKind.PSLA,
                town="Orme-les-Fileuses",
                postcode="99310",
                street="impasse des Fileuses",
                members=16,
                lot_prefix="H",
                home_types=("T4", "T5"),
                dates={
                    "reservations_open_on": -months(40),
                    "works_start_on": -months(30),
                    "expected_delivery_on": -months(14),
                    "delivered_on": -months(14),
                },
                lives_there=True,
            ),
        ),
    ),
]


@dataclass(frozen=True)
class SamplePerson:
    """A person of DOMAIN.md §7.1, with what makes them a useful example."""

    coop: str
    ref: str
    first_name: str
    last_name: str
    programme: str
    lot: str
    email: str
    phone: str
    channel: str
    signed_days_ago: int | None = None  # None: drawn like the others
    consents: tuple = ()  # (purpose, granted, source, legal basis, days ago)
    large_print: bool = False
    digital_help: bool = False
    notes: str = ""
    account: bool = False


SAMPLE_PEOPLE = [
    SamplePerson(
        coop="coop-horizon", ref="CH-0001", first_name="Léa", last_name="Moreau",
        programme=EMBRUNS, lot="E-BRS-03", email=DEMO_USER_EMAIL, phone="06 39 98 10 01",
        channel=Channel.EMAIL, account=True,
        consents=((Purpose.BULLETIN, True, ConsentSource.WEB_FORM, LegalBasis.CONSENT, 400),),
    ),
    SamplePerson(
        coop="coop-horizon", ref="CH-0002", first_name="Karim", last_name="Moreau",
        programme=EMBRUNS, lot="E-BRS-03", email="karim.moreau@example.org",
        phone="06 39 98 10 02", channel=Channel.EMAIL,
        consents=((Purpose.BULLETIN, True, ConsentSource.WEB_FORM, LegalBasis.CONSENT, 400),),
    ),
    SamplePerson(
        coop="coop-horizon", ref="CH-0003", first_name="Aurélie", last_name="Petit",
        programme="Le Clos des Salines", lot="M-07", email="aurelie.petit@example.org",
        phone="06 39 98 10 03", channel=Channel.EMAIL, signed_days_ago=4,
        consents=((Purpose.BULLETIN, True, ConsentSource.PAPER, LegalBasis.CONSENT, 4),),
    ),
    SamplePerson(
        coop="habitat-coteaux", ref="HC-0001", first_name="Thomas", last_name="Nguyen",
        programme="Les Terrasses du Moulin", lot="T-21", email="thomas.nguyen@example.org",
        phone="06 39 98 20 01", channel=Channel.EMAIL,
        consents=(
            (Purpose.COOP_NEWS, True, ConsentSource.WEB_FORM, LegalBasis.CONSENT, 300),
            (Purpose.SESSIONS, True, ConsentSource.WEB_FORM, LegalBasis.CONSENT, 30),
        ),
    ),
    SamplePerson(
        coop="val-dorme", ref="VO-0001", first_name="Josiane", last_name="Le Goff",
        programme="Résidence Pré-Vert", lot="PV-B-012", email="", phone="01 99 30 00 12",
        channel=Channel.POST, large_print=True, digital_help=True,
        notes="Préfère le courrier en gros caractères ; appeler plutôt le matin.",
        consents=((Purpose.SESSIONS, True, ConsentSource.PAPER, LegalBasis.CONSENT, 60),),
    ),
    SamplePerson(
        coop="val-dorme", ref="VO-0002", first_name="Inès", last_name="Barbier",
        programme="Le Hameau des Fileuses", lot="H-05", email="ines.barbier@example.org",
        phone="06 39 98 30 02", channel=Channel.EMAIL,
        consents=((Purpose.BULLETIN, True, ConsentSource.IMPORT, LegalBasis.CONSENT, 500),),
    ),
    SamplePerson(
        coop="val-dorme", ref="VO-0003", first_name="Marc", last_name="Dufresne",
        programme="Résidence Pré-Vert", lot="PV-A-004", email="marc.dufresne@example.org",
        phone="06 39 98 30 03", channel=Channel.EMAIL,
        consents=(
            (Purpose.AG_ELECTRONIC, True, ConsentSource.PAPER, LegalBasis.CONSENT, 240),
            (Purpose.COOP_NEWS, True, ConsentSource.PAPER, LegalBasis.CONSENT, 240),
        ),
    ),
]  # fmt: skip
# Whose preferences link is printed for each coop.
SHOWCASE = {"coop-horizon": "CH-0001", "habitat-coteaux": "HC-0001", "val-dorme": "VO-0001"}


# --- Loading -------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in text.lower() if c.isalnum() or c == "-")


def _moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _staff(coop: Coop, role: str):
    membership = Membership.objects.filter(coop=coop, role=role).select_related("user").first()
    return membership.user if membership is not None else None


def _programme(coop: Coop, spec: ProgrammeSpec, today: dt.date) -> Programme:
    data = {"name": spec.name, "town": spec.town, "kind": spec.kind}
    for name in ("reservations_open_on", "works_start_on", "delivered_on"):
        data[name] = today + spec.dates[name] if name in spec.dates else None
    data["coownership_created_on"] = (
        today + spec.dates["coownership_created_on"]
        if "coownership_created_on" in spec.dates
        else None
    )
    expected = spec.dates.get("expected_delivery_on")
    programme = Programme.objects.filter(coop=coop, name=spec.name).first()
    if programme is None:
        data["expected_delivery_on"] = today + expected if expected is not None else None
        return services.programme_save(coop=coop, actor=None, data=data)
    if any(getattr(programme, k) != v for k, v in data.items()):
        programme = services.programme_save(coop=coop, actor=None, data=data, programme=programme)
    return programme


def _postpone_embruns(coop: Coop, programme: Programme, today: dt.date) -> None:
    """Two postponements, through the service the first time. On a later load the same
    history is moved along with today's date (demo only), so it stays exactly two."""
    admin = _staff(coop, Role.ADMIN)
    changes = list(DeliveryDateChange.objects.filter(coop=coop, programme=programme))
    if not changes:
        Programme.objects.filter(pk=programme.pk).update(
            expected_delivery_on=today + EMBRUNS_INITIAL
        )
        programme.refresh_from_db()
        for decided, new_offset, reason in EMBRUNS_POSTPONEMENTS:
            change = services.programme_change_expected_delivery(
                coop=coop,
                actor=admin,
                programme=programme,
                new_date=today + new_offset,
                reason=reason,
            )
            DeliveryDateChange.objects.filter(pk=change.pk).update(
                changed_at=_moment(today + decided, 14)
            )
            programme.refresh_from_db()
        return
    if programme.expected_delivery_on == today + EMBRUNS_POSTPONEMENTS[-1][1]:
        return
    previous = today + EMBRUNS_INITIAL
    for change, (decided, new_offset, _reason) in zip(changes, EMBRUNS_POSTPONEMENTS, strict=False):
        DeliveryDateChange.objects.filter(pk=change.pk).update(
            previous_date=previous,
            new_date=today + new_offset,
            changed_at=_moment(today + decided, 14),
        )
        previous = today + new_offset
    Programme.objects.filter(pk=programme.pk).update(expected_delivery_on=previous)


class _People:
    """Draws fictional people for one coop, the same ones at every load."""

    def __init__(self, slug: str):
        self.rng = random.Random(f"{SEED}:{slug}")
        self.emails: set[str] = set()
        self.phones: set[str] = set()

    def name(self, last_name: str | None = None) -> tuple[str, str]:
        pool = FIRST_NAMES_F if self.rng.random() < 0.52 else FIRST_NAMES_M
        return self.rng.choice(pool), last_name or self.rng.choice(LAST_NAMES)

    def email(self, first: str, last: str) -> str:
        base = f"{_ascii(first)}.{_ascii(last)}"
        email, n = f"{base}@example.org", 1
        while email in self.emails:
            n += 1
            email = f"{base}{n}@example.org"
        self.emails.add(email)
        return email

    def phone(self, mobile: bool) -> str:
        while True:
            if mobile:  # 06 39 98 xx xx: reserved for fiction
                number = f"06 39 98 {self.rng.randint(0, 99):02d} {self.rng.randint(0, 99):02d}"
            else:  # 01 99 xx xx xx: reserved for fiction
                number = (
                    f"01 99 {self.rng.randint(0, 99):02d} {self.rng.randint(0, 99):02d} "
                    f"{self.rng.randint(0, 99):02d}"
                )
            if number not in self.phones:
                self.phones.add(number)
                return number


def _contact(people: _People, first: str, last: str) -> dict:
    rng = people.rng
    has_email = rng.random() < 0.75
    has_phone = rng.random() < (0.85 if has_email else 0.7)
    mobile = rng.random() < (0.8 if has_email else 0.4)
    email = people.email(first, last) if has_email else ""
    phone = people.phone(mobile) if has_phone else ""
    roll = rng.random()
    if has_email:
        if roll < 0.68:
            channel = Channel.EMAIL
        elif roll < 0.8 and phone and mobile:
            channel = Channel.SMS
        elif roll < 0.9 and phone:
            channel = Channel.PHONE
        else:
            channel = Channel.POST
    else:
        channel = Channel.PHONE if phone and roll < 0.4 else Channel.POST
    large_print = rng.random() < (0.2 if not has_email else 0.04)
    digital_help = rng.random() < (0.3 if not has_email else 0.05)
    notes = rng.choice(ACCESSIBILITY_NOTES) if rng.random() < 0.08 else ""
    return {
        "email": email,
        "phone": phone,
        "preferred_channel": channel,
        "needs_large_print": large_print,
        "needs_digital_help": digital_help,
        "accessibility_notes": notes,
    }


def _signed_on(rng, programme: Programme, spec: ProgrammeSpec, today: dt.date) -> dt.date:
    if spec.lease:
        start, end = programme.delivered_on, today - months(1)
    else:
        start = programme.reservations_open_on or today - months(6)
        end = min(
            d for d in (programme.works_start_on, today - dt.timedelta(days=12)) if d is not None
        )
        end = max(start, end)
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _drawn_consents(rng, member_data: dict, signed_on: dt.date, today: dt.date) -> list:
    """(purpose, granted, source, legal basis, when) rows, then a few withdrawals."""
    has_email = bool(member_data["email"])
    span = max(1, (today - signed_on).days)

    def when() -> dt.datetime:
        return _moment(signed_on + dt.timedelta(days=rng.randint(0, span - 1)), rng.randint(9, 18))

    offline = (ConsentSource.PAPER, ConsentSource.PHONE)
    rows = []
    if rng.random() < (0.7 if has_email else 0.5):
        source = rng.choice(
            (ConsentSource.WEB_FORM, ConsentSource.IMPORT, ConsentSource.PAPER)
            if has_email
            else offline
        )
        rows.append((Purpose.BULLETIN, rng.random() < 0.8, source, LegalBasis.CONSENT, when()))
    if rng.random() < 0.5:
        source = rng.choice((ConsentSource.IMPORT, ConsentSource.PAPER, ConsentSource.WEB_FORM))
        basis = (
            LegalBasis.LEGITIMATE_INTEREST if source == ConsentSource.IMPORT else LegalBasis.CONSENT
        )
        rows.append((Purpose.COOP_NEWS, rng.random() < 0.75, source, basis, when()))
    if rng.random() < 0.4:
        source = rng.choice((*offline, ConsentSource.WEB_FORM) if has_email else offline)
        rows.append((Purpose.SESSIONS, rng.random() < 0.65, source, LegalBasis.CONSENT, when()))
    if has_email and rng.random() < 0.25:
        rows.append(
            (
                Purpose.AG_ELECTRONIC,
                rng.random() < 0.8,
                ConsentSource.PAPER,
                LegalBasis.CONSENT,
                when(),
            )
        )
    rows.sort(key=lambda row: row[4])
    # Some changed their mind later: the ledger keeps both answers.
    for purpose, granted, _source, _basis, moment in list(rows):
        if granted and rng.random() < 0.08 and moment.date() < today - dt.timedelta(days=2):
            later = moment + dt.timedelta(
                days=rng.randint(1, max(1, (today - moment.date()).days - 1))
            )
            source = ConsentSource.UNSUBSCRIBE if has_email else ConsentSource.PHONE
            rows.append((purpose, False, source, LegalBasis.CONSENT, later))
    return rows


def _recent_contact(rng, signed_on: dt.date, today: dt.date) -> dt.datetime:
    """A visit, a call or a letter from the member in the last 18 months."""
    day = max(signed_on, today - dt.timedelta(days=rng.randint(3, 540)))
    return _moment(day, rng.randint(9, 17))


def _record_consents(coop: Coop, member: Member, rows, staff: dict) -> None:
    for purpose, granted, source, basis, moment in rows:
        actor = {
            ConsentSource.PAPER: staff["animateur"],
            ConsentSource.PHONE: staff["animateur"],
            ConsentSource.IMPORT: staff["admin"],
        }.get(source)
        record = services.consent_record(
            coop=coop,
            member=member,
            purpose=purpose,
            granted=granted,
            source=source,
            actor=actor,
            legal_basis=basis,
            note="Bulletin-réponse papier" if source == ConsentSource.PAPER else "",
        )
        ConsentRecord.objects.filter(pk=record.pk).update(recorded_at=moment)


def _address(rng, spec: ProgrammeSpec, coop_spec: CoopSpec, lot: str) -> str:
    if spec.lives_there:
        return f"{spec.name}, logement {lot}\n{spec.street}\n{spec.postcode} {spec.town}"
    postcode, town = rng.choice(coop_spec.towns)
    return f"{rng.randint(1, 140)} {rng.choice(STREETS)}\n{postcode} {town}"


def _create_member(
    coop,
    *,
    ref,
    first,
    last,
    contact,
    address,
    programme,
    spec,
    lot,
    home_type,
    signed_on,
    consents,
    staff,
    last_contact,
) -> Member:
    member = services.member_create(
        coop=coop,
        actor=None,
        data={
            "first_name": first,
            "last_name": last,
            "postal_address": address,
            "external_ref": ref,
            **contact,
        },
    )
    services.reservation_create(
        coop=coop,
        member=member,
        programme=programme,
        kind=ContractKind.LEASE if spec.lease else ContractKind.RESERVATION,
        signed_on=signed_on,
        lot_number=lot,
        home_type=home_type,
    )
    if spec.lease:
        services.member_profile_set(
            coop=coop, member=member, kind=ProfileKind.LOCATAIRE, start_date=signed_on
        )
    else:
        services.member_profile_set(
            coop=coop, member=member, kind=ProfileKind.ACCEDANT, start_date=signed_on
        )
        if programme.coownership_created_on is not None:
            services.member_profile_set(
                coop=coop,
                member=member,
                kind=ProfileKind.COPROPRIETAIRE,
                start_date=programme.coownership_created_on,
            )
    _record_consents(coop, member, consents, staff)
    # The last time the member got in touch (an answer given in person, on paper, by
    # phone or online counts, an import does not): recent enough that the retention job
    # leaves the demo members alone.
    own = [m for _p, _g, source, _b, m in consents if source != ConsentSource.IMPORT]
    Member.objects.filter(pk=member.pk).update(last_contact_at=max([last_contact, *own]))
    return member


def _sample_member(coop, coop_spec, programmes, person: SamplePerson, rng, today) -> dict:
    spec, programme = programmes[person.programme]
    drawn_signed_on = _signed_on(rng, programme, spec, today)
    signed_on = (
        today - dt.timedelta(days=person.signed_days_ago)
        if person.signed_days_ago is not None
        else drawn_signed_on
    )
    return {
        "ref": person.ref,
        "first": person.first_name,
        "last": person.last_name,
        "contact": {
            "email": person.email,
            "phone": person.phone,
            "preferred_channel": person.channel,
            "needs_large_print": person.large_print,
            "needs_digital_help": person.digital_help,
            "accessibility_notes": person.notes,
        },
        "address": _address(rng, spec, coop_spec, person.lot),
        "programme": programme,
        "spec": spec,
        "lot": person.lot,
        "home_type": rng.choice(spec.home_types),
        "signed_on": signed_on,
        "consents": [
            (purpose, granted, source, basis, _moment(today - dt.timedelta(days=days)))
            for purpose, granted, source, basis, days in person.consents
        ],
        "last_contact": _recent_contact(rng, signed_on, today),
    }


def _drawn_members(coop_spec, programmes, samples, people: _People, today):
    """Everyone else, household by household (a couple shares its lot)."""
    rng = people.rng
    number = len(samples)
    for spec, programme in programmes.values():
        wanted = spec.members - sum(1 for p in samples if p.programme == spec.name)
        lot_number = 0
        while wanted > 0:
            lot_number += 1
            lot = f"{spec.lot_prefix}-{lot_number:02d}"
            if any(p.lot == lot for p in samples):
                continue
            signed_on = _signed_on(rng, programme, spec, today)
            home_type = rng.choice(spec.home_types)
            names = [people.name()]
            if wanted >= 2 and rng.random() < 0.3:
                names.append(people.name(names[0][1] if rng.random() < 0.7 else None))
            for first, last in names:
                number += 1
                wanted -= 1
                contact = _contact(people, first, last)
                yield {
                    "ref": f"{coop_spec.ref_prefix}-{number:04d}",
                    "first": first,
                    "last": last,
                    "contact": contact,
                    "address": _address(rng, spec, coop_spec, lot),
                    "programme": programme,
                    "spec": spec,
                    "lot": lot,
                    "home_type": home_type,
                    "signed_on": signed_on,
                    "consents": _drawn_consents(rng, contact, signed_on, today),
                    "last_contact": _recent_contact(rng, signed_on, today),
                }


def _load_coop(coop: Coop, coop_spec: CoopSpec, today: dt.date) -> int:
    """The coop's programmes and members; returns how many members were created.

    Every person is drawn whether or not they exist already, so that the random
    sequence, hence everyone's data, is the same at every load."""
    people = _People(coop.slug)
    staff = {"admin": _staff(coop, Role.ADMIN), "animateur": _staff(coop, Role.ANIMATEUR)}
    programmes = {spec.name: (spec, _programme(coop, spec, today)) for spec in coop_spec.programmes}
    if EMBRUNS in programmes:
        _postpone_embruns(coop, programmes[EMBRUNS][1], today)
    existing = set(
        Member.objects.filter(coop=coop)
        .exclude(external_ref="")
        .values_list("external_ref", flat=True)
    )
    samples = [p for p in SAMPLE_PEOPLE if p.coop == coop.slug]
    created = 0
    for person in samples:
        values = _sample_member(coop, coop_spec, programmes, person, people.rng, today)
        if person.ref in existing:
            continue
        member = _create_member(coop, staff=staff, **values)
        if person.account:
            user = get_user_model().objects.filter(email=DEMO_USER_EMAIL).first()
            Member.objects.filter(pk=member.pk).update(user=user)
        created += 1
    for values in _drawn_members(coop_spec, programmes, samples, people, today):
        if values["ref"] in existing:
            continue
        _create_member(coop, staff=staff, **values)
        created += 1
    return created


@transaction.atomic
def load_demo_members(stdout=None, today: dt.date | None = None) -> dict[str, int]:
    """Create the demo members in the demo coops that exist; returns members per coop slug.

    Prints the counts and, per coop, the preferences link of one sample person."""
    today = today or timezone.localdate()
    counts: dict[str, int] = {}
    lines = []
    created = 0
    for coop_spec in COOP_SPECS:
        coop = Coop.objects.filter(slug=coop_spec.slug).first()
        if coop is None:
            continue
        with coop_scope(coop):
            created += _load_coop(coop, coop_spec, today)
            members = list(selectors.member_list(coop=coop, today=today))
            counts[coop.slug] = len(members)
            stages = [
                str(label) for value, label in Stage.choices if value in {m.stage for m in members}
            ]
            lines.append(f"  {coop.name} : {len(members)} membres ({', '.join(stages)})")
            showcase = next((m for m in members if m.external_ref == SHOWCASE[coop.slug]), None)
            if showcase is not None:
                lines.append(f"    Préférences de {showcase} : {links.preferences_url(showcase)}")
    if stdout is not None:
        stdout.write(
            f"Membres de démonstration : {sum(counts.values())} ({created} créés à ce chargement)."
        )
        for line in lines:
            stdout.write(line)
    return counts
