"""The media catalogue: synonyms in Dutch and English, and configuration per location."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from provisioner.config import ConsentConfig, ConsentLocationConfig, MediumConfig
from provisioner.privacy.media import (
    DEFAULT_MEDIA,
    Catalogue,
    catalogue_for,
    normalise_medium,
)

CATALOGUE = Catalogue(DEFAULT_MEDIA)


@pytest.mark.parametrize(
    ("text", "medium"),
    [
        # Dutch
        ("Mag de foto van Sanne Jansen op de website?", "website"),
        ("op de schoolwebsite", "website"),
        ("mag ik een foto van groep 5b op Instagram zetten?", "social media"),
        ("op Facebook", "social media"),
        ("op onze facebookpagina", "social media"),
        ("een filmpje op TikTok", "social media"),
        ("op X", "social media"),
        ("sociale media", "social media"),
        ("in de nieuwsbrief", "nieuwsbrief"),
        ("in de schoolgids", "schoolgids"),
        ("in de folder", "folder"),
        ("in de ouderapp", "ouderapp"),
        ("in Parro", "ouderapp"),
        ("via Social Schools", "ouderapp"),
        ("gebruik in de klas", "gebruik in de klas"),
        ("op het digibord in de les", "gebruik in de klas"),
        ("de administratiefoto", "administratiefoto"),
        ("voor de leerlingadministratie", "administratiefoto"),
        # English
        ("can the 7a class photo go in the newsletter?", "nieuwsbrief"),
        ("on the website", "website"),
        ("on Instagram", "social media"),
        ("in the school guide", "schoolgids"),
        ("a brochure", "folder"),
        ("in the parent app", "ouderapp"),
        ("for use in class", "gebruik in de klas"),
        ("the administration photo", "administratiefoto"),
        # spelled oddly
        ("NIEUWSBRIEF", "nieuwsbrief"),
        ("Sociale Média", "social media"),
        ("websites", "website"),
    ],
)
def test_free_text_names_one_medium(text: str, medium: str) -> None:
    found = normalise_medium(text, CATALOGUE)
    assert found is not None and found.name == medium


@pytest.mark.parametrize(
    "text",
    ["mag het op de website of in de nieuwsbrief?", "op de bioscoop", "", "mag dit?"],
)
def test_no_medium_or_two_media_is_no_answer(text: str) -> None:
    assert normalise_medium(text, CATALOGUE) is None


def test_a_photo_taken_in_class_for_instagram_is_about_instagram() -> None:
    found = normalise_medium("een foto van in de klas op Instagram", CATALOGUE)
    assert found is not None and found.name == "social media"


def test_the_longest_phrase_wins() -> None:
    assert [m.name for m in CATALOGUE.find("Social Schools en social media")] == [
        "ouderapp",
        "social media",
    ]


def test_only_purposes_without_publication_need_no_consent() -> None:
    assert {m.name for m in DEFAULT_MEDIA if not m.needs_consent} == {
        "gebruik in de klas",
        "administratiefoto",
        "schoolpas",  # identification, like the administration photo
    }


def test_labels_in_both_languages() -> None:
    newsletter = CATALOGUE.get("nieuwsbrief")
    assert newsletter is not None
    assert newsletter.label("nl") == "de nieuwsbrief"
    assert newsletter.label("en") == "the newsletter"


def test_a_board_configures_its_own_catalogue_and_a_location_its_own() -> None:
    config = ConsentConfig(
        media=[
            MediumConfig(name="website", synonyms=["site"]),
            MediumConfig(name="jaarboek", synonyms=["yearbook"], label_en="the yearbook"),
        ],
        locations={
            "07XY01": ConsentLocationConfig(
                media=[MediumConfig(name="Klasbord", synonyms=["ouderapp", "parent app"])]
            )
        },
    )
    board = catalogue_for(config, "07XY00")
    assert [m.name for m in board.media] == ["website", "jaarboek"]
    found = normalise_medium("in the yearbook", board)
    assert found is not None and found.label("en") == "the yearbook"
    assert found.label("nl") == "jaarboek"  # no label: the name
    assert normalise_medium("op Instagram", board) is None  # not in this board's catalogue
    own = catalogue_for(config, "07XY01")
    found = normalise_medium("in de ouderapp", own)
    assert found is not None and found.name == "Klasbord"
    assert [m.name for m in catalogue_for(ConsentConfig(), None).media] == [
        m.name for m in DEFAULT_MEDIA
    ]


def test_the_configuration_refuses_a_synonym_of_two_media() -> None:
    with pytest.raises(ValidationError, match="names both"):
        ConsentConfig(
            media=[
                MediumConfig(name="website", synonyms=["online"]),
                MediumConfig(name="social media", synonyms=["Online"]),
            ]
        )
    with pytest.raises(ValidationError, match="listed twice"):
        ConsentConfig(media=[MediumConfig(name="website"), MediumConfig(name="Website")])
    with pytest.raises(ValidationError, match="not a month and day"):
        ConsentConfig(school_year_start="13-01")
    with pytest.raises(ValidationError, match="not a BRIN6"):
        ConsentConfig(locations={"school": ConsentLocationConfig()})
