"""The member-facing learning pages: the coop's parcours home, module and activity pages,
the glossary, and what each coop's adaptation changes on them."""

import html
import re

import pytest
from django_scopes import scopes_disabled

from django.urls import reverse

from coopculture.learning.models import (
    Activity,
    CoopModuleSetting,
    LearningEvent,
    ModuleStatus,
    PublicationStatus,
)
from tests.learning.factories import make_glossary, make_module

pytestmark = pytest.mark.django_db


def home_url(coop) -> str:
    return reverse("learning:home", kwargs={"coop_slug": coop.slug})


def module_url(coop, module) -> str:
    return reverse("learning:module", kwargs={"coop_slug": coop.slug, "module_slug": module.slug})


def activity_url(coop, module, position: int) -> str:
    return reverse(
        "learning:activity",
        kwargs={"coop_slug": coop.slug, "module_slug": module.slug, "position": position},
    )


def section(html: str, section_id: str) -> str:
    """The HTML of the <section> labelled by the heading `section_id`."""
    match = re.search(
        rf'<section[^>]*aria-labelledby="{section_id}".*?</section>', html, flags=re.DOTALL
    )
    assert match, f"no section {section_id}"
    return match.group(0)


# --- Parcours home ---------------------------------------------------------------------------


def test_the_home_lists_highlighted_then_recommended_optional_and_not_applicable_last(
    client, coop, other_coop
):
    """Coop A (accession, PSLA) sees its highlighted module first, then what is recommended,
    then optional modules, and last the module about rental management, with the reason
    and the coop's contact."""
    rental = make_module(concerns=["gestion_locative"], title="Louer")
    optional = make_module(concerns=["accession_vefa", "syndic"], recommended_for=["syndic"])
    general = make_module(title="Général")
    star = make_module(title="À la une", position=99)
    with scopes_disabled():
        CoopModuleSetting.objects.create(coop=coop, module=star, highlighted=True)

    response = client.get(home_url(coop))
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [c.module for c in groups["highlighted"]] == [star]
    assert [c.module for c in groups["recommended"]] == [general]
    assert [c.module for c in groups["optional"]] == [optional]
    assert [c.module for c in groups["not_applicable"]] == [rental]
    assert groups["not_applicable"][0].reason == {
        "lacking": ["gestion_locative"],
        "coop_choice": False,
    }

    html = response.content.decode()
    hrefs = re.findall(r'<h3><a href="/c/coop-a/parcours/([\w-]+)/">', html)
    assert hrefs == [star.slug, general.slug, optional.slug, rental.slug]
    not_applicable = section(html, "group-not-applicable")
    assert f'href="{module_url(coop, rental)}"' in not_applicable
    assert 'class="module-reason"' in not_applicable
    assert f"mailto:{coop.contact_email}" in not_applicable
    assert html.count('class="module-reason"') == 1
    assert f'href="{reverse("learning:glossary", kwargs={"coop_slug": coop.slug})}"' in html


def test_a_module_the_coop_marks_as_not_applicable_says_it_is_the_coops_choice(client, coop):
    """A status chosen by the coop moves the module to the end, with that reason."""
    module = make_module(title="Général")
    with scopes_disabled():
        CoopModuleSetting.objects.create(
            coop=coop, module=module, status=ModuleStatus.NOT_APPLICABLE
        )
    groups = client.get(home_url(coop)).context["groups"]
    assert [c.module for c in groups["not_applicable"]] == [module]
    assert groups["not_applicable"][0].reason["coop_choice"] is True


def test_the_home_shows_each_modules_progress_state(client, coop):
    """Cards say whether the learner has not started, started or completed each module."""
    started, completed, fresh = (
        make_module(kinds=("text", "quiz")),
        make_module(kinds=("text",)),
        make_module(),
    )
    client.post(activity_url(coop, started, 1))
    client.post(activity_url(coop, completed, 1))
    response = client.get(home_url(coop))
    states = {c.module: c.state for c in response.context["groups"]["recommended"]}
    assert states == {started: "started", completed: "completed", fresh: "new"}
    html = response.content.decode()
    assert html.count("progress-state--completed") == 1
    assert html.count("progress-state--started") == 1
    # "Pick up where I left off" leads to the started module's next activity.
    assert response.context["resume"].module == started
    assert f'href="{activity_url(coop, started, 2)}"' in section(html, "resume-title")


def test_a_visitor_without_progress_gets_no_resume_card_and_no_session(client, coop):
    """Reading pages writes nothing: no session, no event, no resume card."""
    module = make_module()
    response = client.get(home_url(coop))
    assert response.context["resume"] is None
    assert 'id="resume-title"' not in response.content.decode()
    client.get(activity_url(coop, module, 1))
    assert "sessionid" not in client.cookies
    with scopes_disabled():
        assert not LearningEvent.objects.exists()


def test_the_home_without_modules_says_so(client, coop):
    response = client.get(home_url(coop))
    assert response.status_code == 200
    assert "card--empty" in response.content.decode()


# --- Coop adaptation -------------------------------------------------------------------------


def test_examples_about_activities_the_coop_lacks_carry_a_notice(client, coop, other_coop):
    """The factory text holds a `::: exemple gestion_locative` block: coop A (no rental
    management) gets the notice, coop B (rental management) does not."""
    module = make_module(kinds=("text",))
    for_a = client.get(activity_url(coop, module, 1)).content.decode()
    for_b = client.get(activity_url(other_coop, module, 1)).content.decode()
    assert "example--elsewhere" in for_a
    assert f"mailto:{coop.contact_email}" in for_a
    assert 'class="example"' in for_b
    assert "example--elsewhere" not in for_b


def test_the_coops_note_shows_at_the_top_of_the_module_in_that_coop_only(client, coop, other_coop):
    """Coop A's note ("Chez Coop A, ...") is on coop A's module page, not on coop B's."""
    module = make_module()
    note = "Chez Coop A, la permanence a lieu le mardi."
    with scopes_disabled():
        CoopModuleSetting.objects.create(coop=coop, module=module, note=note)
    for_a = client.get(module_url(coop, module)).content.decode()
    for_b = client.get(module_url(other_coop, module)).content.decode()
    assert 'class="coop-note"' in for_a and note in for_a
    assert for_a.index('class="coop-note"') < for_a.index('class="activity-list"')
    assert 'class="coop-note"' not in for_b and note not in for_b


def test_a_module_that_does_not_concern_the_coop_says_so_with_the_contact(client, coop, other_coop):
    module = make_module(concerns=["gestion_locative"])
    for_a = client.get(module_url(coop, module)).content.decode()
    for_b = client.get(module_url(other_coop, module)).content.decode()
    assert "notice--elsewhere" in for_a and f"mailto:{coop.contact_email}" in for_a
    assert "notice--elsewhere" not in for_b


# --- Module and activity pages ---------------------------------------------------------------


def test_the_module_page_lists_its_activities_in_order_with_a_start_button(client, coop):
    module = make_module(kinds=("text", "video", "quiz"), title="Être coopérateur")
    response = client.get(module_url(coop, module))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1>") == 1
    links = re.findall(r'<a href="(/c/coop-a/parcours/[\w-]+/\d+/)">', html)
    assert links[:3] == [activity_url(coop, module, p) for p in (1, 2, 3)]
    assert f'class="button" href="{activity_url(coop, module, 1)}"' in html
    assert '<nav class="breadcrumb learning-breadcrumb" aria-label="' in html


@pytest.mark.parametrize("kind", ["text", "video", "testimonial", "quiz", "game", "leaflet"])
def test_every_activity_kind_renders_with_navigation_and_progress(client, coop, kind):
    """Each kind renders one <h1>, the breadcrumb to the module, "activity n of m" and
    previous/next links; the forms carry a CSRF token."""
    module = make_module(kinds=("text", kind, "quiz"))
    response = client.get(activity_url(coop, module, 2))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1>") == 1
    assert response.context["number"] == 2 and response.context["total"] == 3
    assert f'rel="prev" href="{activity_url(coop, module, 1)}"' in html
    assert f'rel="next" href="{activity_url(coop, module, 3)}"' in html
    assert f'<a href="{module_url(coop, module)}">' in html  # breadcrumb
    assert "csrfmiddlewaretoken" in html
    assert "style=" not in html.split("</head>")[1]  # no inline styles (CSP)
    assert "<script" not in html.split("</head>")[1]


def test_video_pages_show_captions_or_a_click_to_load_link_and_always_the_transcript(client, coop):
    """An uploaded video gets <video preload=none> and a captions track; a hosted video is a
    plain link (no iframe, nothing from the host before the click); a demo video says so."""
    module = make_module(kinds=("video", "video", "video"))
    uploaded, hosted, _demo = module.steps.order_by("position")
    uploaded.media.name = "learning/media/film.mp4"
    uploaded.captions.name = "learning/media/film.vtt"
    uploaded.save()
    hosted.content = dict(hosted.content, external_url="https://video.example.org/v/42", demo=False)
    hosted.save()

    html = client.get(activity_url(coop, module, 1)).content.decode()
    assert '<video controls preload="none"' in html
    assert '<track kind="captions" srclang="fr"' in html and "film.vtt" in html
    assert 'id="transcript-title"' in html

    html = client.get(activity_url(coop, module, 2)).content.decode()
    assert "<iframe" not in html and "<video" not in html
    assert 'href="https://video.example.org/v/42"' in html
    assert not re.search(r'src="https://video\.example\.org', html)
    assert 'id="transcript-title"' in html

    html = client.get(activity_url(coop, module, 3)).content.decode()
    assert "video--demo" in html and 'id="transcript-title"' in html


def test_testimonials_are_a_quote_with_the_person_and_role(client, coop):
    module = make_module(kinds=("testimonial",))
    html = client.get(activity_url(coop, module, 1)).content.decode()
    assert re.search(r"<figure class=\"testimonial\">\s*<blockquote>", html)
    assert "<figcaption>" in html and "Marc (fictif)" in html


def test_the_leaflet_page_has_the_html_version_and_the_pdf_link_once_it_exists(client, coop):
    """The sections are on the page; the PDF link appears only if the documents URL exists."""
    from django.urls import NoReverseMatch

    module = make_module(kinds=("leaflet",))
    response = client.get(activity_url(coop, module, 1))
    html = response.content.decode()
    assert "<h2>Syndic</h2>" in html
    try:
        pdf = reverse(
            "learning_documents:leaflet",
            kwargs={"coop_slug": coop.slug, "module_slug": module.slug, "position": 1},
        )
    except NoReverseMatch:
        assert response.context["leaflet_url"] is None
        assert "leaflet-download" not in html
    else:
        assert f'href="{pdf}"' in html


def test_game_forms_work_without_javascript(client, coop):
    """Ordering: one <select> of positions per step, shown sorted by text (not in the right
    order); matching: one <select> of the targets per item."""
    module = make_module(kinds=("game", "game"))
    ordering, matching = module.steps.order_by("position")
    ordering.content = {
        "game": "ordering",
        "intro": "",
        "steps": ["Réserver", "Signer", "Aménager"],
    }
    ordering.save()
    matching.content = {
        "game": "matching",
        "intro": "",
        "pairs": [{"item": "AG", "match": "vote"}, {"item": "CA", "match": "gère"}],
        "targets": ["gère", "vote"],
    }
    matching.save()
    html = client.get(activity_url(coop, module, 1)).content.decode()
    assert html.count("<select") == 3
    labels = re.findall(r'<label for="answer-o\d">([^<]+)</label>', html)
    assert labels == ["Aménager", "Réserver", "Signer"]
    html = client.get(activity_url(coop, module, 2)).content.decode()
    assert html.count("<select") == 2 and '<option value="vote">' in html


# --- Glossary --------------------------------------------------------------------------------


def test_only_the_first_occurrence_of_a_term_links_to_its_definition(client, coop):
    """A term twice in a text is linked once, to /c/<coop>/parcours/glossaire/#slug, and the
    glossary page has that anchor on the term."""
    make_glossary()
    module = make_module(kinds=("text",))
    Activity.objects.filter(module=module).update(
        content={"body": "Un associé vote à l'AG.\n\nChaque associé a une voix."}
    )
    html = client.get(activity_url(coop, module, 1)).content.decode()
    glossary = reverse("learning:glossary", kwargs={"coop_slug": coop.slug})
    assert glossary == "/c/coop-a/parcours/glossaire/"
    assert html.count('class="glossary-link"') == 1
    assert f'class="glossary-link" href="{glossary}#associe"' in html

    page = client.get(glossary)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<dt id="associe">' in html and '<dt id="part-sociale">' in html
    assert '<dl class="glossary">' in html


# --- Not found -------------------------------------------------------------------------------


def test_unpublished_unknown_modules_and_positions_answer_404(client, coop):
    draft = make_module(status=PublicationStatus.DRAFT)
    published = make_module(kinds=("text", "quiz"))
    for url in (
        module_url(coop, draft),
        activity_url(coop, draft, 1),
        reverse("learning:module", kwargs={"coop_slug": coop.slug, "module_slug": "nope"}),
        activity_url(coop, published, 3),
        activity_url(coop, published, 0),
        reverse(
            "learning:activity-result",
            kwargs={"coop_slug": coop.slug, "module_slug": published.slug, "position": 1},
        ),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(activity_url(coop, draft, 1)).status_code == 404
    with scopes_disabled():
        assert not LearningEvent.objects.exists()


def test_the_pages_answer_404_for_an_unknown_coop(client, coop):
    module = make_module()
    assert client.get(f"/c/inconnue/parcours/{module.slug}/").status_code == 404
    assert client.get("/c/inconnue/parcours/").status_code == 404


def test_a_note_written_after_chez_coop_reads_as_a_sentence_on_the_module_and_landing_pages(
    client, coop
):
    """The staff form asks for what follows "Chez <coop>, …": a note in lower case is shown
    with that start, on the module page and on the coop's landing page alike; a note that
    is already a sentence is shown as it is."""
    module = make_module(title="Qui décide dans la coop ?")
    other = make_module(title="Acheter en VEFA")
    with scopes_disabled():
        CoopModuleSetting.objects.create(
            coop=coop, module=module, note="une permanence a lieu chaque mardi."
        )
        CoopModuleSetting.objects.create(
            coop=coop, module=other, note="Nos conseillers vous reçoivent sur rendez-vous."
        )
    expected = "Chez Coop A, une permanence a lieu chaque mardi."
    page = client.get(module_url(coop, module)).content.decode()
    note = page[page.index('class="coop-note"') : page.index("</section>", page.index("coop-note"))]
    assert expected in note
    assert "Le mot de Coop A" in note
    landing = html.unescape(client.get(f"/c/{coop.slug}/").content.decode())
    assert expected in landing
    assert "Nos conseillers vous reçoivent sur rendez-vous." in landing
    assert "Chez Coop A, Nos" not in landing and "Chez Coop A, nos" not in landing
    assert ">une permanence" not in landing


def test_the_not_applicable_notice_does_not_repeat_itself(client, coop):
    module = make_module(concerns=["gestion_locative"])
    page = client.get(module_url(coop, module)).content.decode()
    notice = page[page.index("notice--elsewhere") :]
    notice = notice[: notice.index("</div>")]
    assert notice.count("Ce module") == 1
    assert "Il porte sur une activité que votre coop n" in notice
