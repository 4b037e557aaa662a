"""The message catalogues: every sentence the code asks for is in Dutch and English, with
the same placeholders, and a reply really comes out in the asked language."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from provisioner.i18n import catalogue_files, catalogue_path, problems, tr

ROOT = Path(__file__).resolve().parents[1]


def test_the_catalogues_are_complete_for_the_code() -> None:
    assert problems(ROOT) == []


def test_a_sentence_comes_out_in_each_language_with_its_values() -> None:
    assert tr("en", "I put {topic} aside; nothing was done with it.", topic="X") == (
        "I put X aside; nothing was done with it."
    )
    assert tr("nl", "I put {topic} aside; nothing was done with it.", topic="X") == (
        "Ik heb X opzijgezet; daarmee is niets gedaan."
    )


def test_a_message_missing_from_a_catalogue_is_found(tmp_path: Path) -> None:
    for folder in ("provisioner", "bot", "connectors"):
        (tmp_path / folder).mkdir()
    (tmp_path / "bot" / "new_flow.py").write_text(
        "from provisioner.i18n import tr\n\n"
        "def hello(language: str) -> str:\n"
        "    return tr(language, 'A sentence nobody translated, {name}.', name='x')\n"
    )
    found = problems(tmp_path)
    assert len(found) == 2  # neither Dutch nor English has it
    assert all("new_flow.py:4" in line for line in found)
    assert {line.split("'")[1] for line in found} == {"nl", "en"}


def test_a_translation_with_other_placeholders_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import provisioner.i18n as i18n

    locale = tmp_path / "locale"
    for language in ("nl", "en"):
        folder = locale / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        for domain in catalogue_files(language):
            shutil.copy(domain, folder / domain.name)
    nl = locale / "nl" / "LC_MESSAGES" / "messages.po"
    text = nl.read_text(encoding="utf-8")
    assert 'msgstr "Ik heb {topic} opzijgezet; daarmee is niets gedaan."' in text
    nl.write_text(text.replace("Ik heb {topic} opzijgezet", "Ik heb {onderwerp} opzijgezet"),
                  encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n._catalogue.cache_clear()
    try:
        found = problems(ROOT)
    finally:
        i18n._catalogue.cache_clear()
    assert len(found) == 1 and "'nl' translation" in found[0] and "other placeholders" in found[0]


def test_a_feature_domain_is_read_with_the_others_and_a_clash_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import provisioner.i18n as i18n

    locale = tmp_path / "locale"
    for language in ("nl", "en"):
        folder = locale / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        shutil.copy(catalogue_path(language), folder / "messages.po")
    extra = locale / "nl" / "LC_MESSAGES" / "feature.po"
    extra.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "A sentence of a feature."\nmsgstr "Een zin van een onderdeel."\n\n'
        'msgid "I put {topic} aside; nothing was done with it."\n'
        'msgstr "Ik legde {topic} weg."\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n._catalogue.cache_clear()
    try:
        assert tr("nl", "A sentence of a feature.") == "Een zin van een onderdeel."
        clash = i18n.conflicts("nl")
    finally:
        i18n._catalogue.cache_clear()
    assert len(clash) == 1 and "feature.po" in clash[0] and "messages.po" in clash[0]
