"""Every label of the entry forms reads as the case report form words it: no field name turned
into words ("First cr date"), no abbreviation in lower case."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from tests.factories import randomized_patient

pytestmark = pytest.mark.django_db

# Abbreviations of the trial that a label spells in capitals, or a name Django turned into words.
LOWERCASE_ABBREVIATION = re.compile(r"\b(cr|cri|ecog|wbc|mrd|pct|ae|sae|bsa|eot|aza|ic|dex)\b")
LABEL = re.compile(r"<label[^>]*>(.*?)</label>", re.S)


def _labels(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    texts = (re.sub(r"<[^>]+>", " ", label) for label in LABEL.findall(response.content.decode()))
    return [" ".join(html.unescape(text).split()) for text in texts]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_no_label_is_a_field_name_in_words(site_a, coordinator, investigator, data_manager) -> None:
    patient = randomized_patient(site_a, coordinator, investigator, arm="DEX", regimen="IC")
    base = f"/patients/{patient.pk}"
    pages = {
        coordinator: ["/patients/new/", f"{base}/consent/", f"{base}/baseline/"],
        investigator: [
            f"{base}/treatment/cycles/new/",
            f"{base}/treatment/responses/new/",
            f"{base}/treatment/adverse-events/new/",
            f"{base}/treatment/transplants/new/",
            f"{base}/treatment/end/",
            f"{base}/treatment/relapse/",
            f"{base}/treatment/sign/",
            f"/followup/patients/{patient.pk}/death/",
        ],
        data_manager: ["/analysis/"],
    }

    labels = [
        (url, label)
        for user, urls in pages.items()
        for url in urls
        for label in _labels(_client(user), url)
    ]

    assert any(url == "/analysis/" and label.startswith("Cut-off date") for url, label in labels)
    assert any(label.startswith("Date of first CR/CRi") for _, label in labels)
    assert [(url, label) for url, label in labels if LOWERCASE_ABBREVIATION.search(label)] == []


def test_an_empty_sign_in_names_only_error_ids_on_the_page(client: Client) -> None:
    page = client.post("/accounts/login/", {}).content.decode()

    targets = {t for ids in re.findall(r'aria-describedby="([^"]+)"', page) for t in ids.split()}
    assert "id_username_error" in targets
    assert [t for t in targets if f'id="{t}"' not in page] == []
