"""The standards pages: the trust's heatmap and baselines, a school's standards, answering an item,
and the guided first self-assessment — each as the role that uses it, and refused to the others."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from services.base import utcnow
from services.directory.models import School
from services.standards import assessments, conformance
from services.standards.checks import Figure
from services.standards.models import Assessment, BaselineVersion
from tests.conftest import data
from tests.standards.conftest import baseline, item

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def scene(app, make, world, figures):
    """Oak (primary, in-house) and Elm (secondary, MSP), a third school, the shipped baselines, some
    answers and computed figures, and conformance worked out as the jobs would."""
    far = make.school("ash", name="Ash Academy", trust=world.trust, phase="Primary", support_model="msp")
    with data(app) as s:
        s.get(School, world.secondary.id).support_model = "msp"
    figures.table["assets.supported_os_share"] = {
        world.primary.id: Figure(96.0, 48, 50, "48 of 50 end-user devices in use run a supported operating system",
                                 {"school": str(world.primary.id), "group": "end_user", "support": "unsupported"}),
        world.secondary.id: Figure(90.0, 45, 50, "45 of 50 end-user devices in use run a supported operating system",
                                   {"school": str(world.secondary.id), "group": "end_user",
                                    "support": "unsupported"})}
    now = utcnow()
    with data(app) as s:
        oak = s.get(School, world.primary.id)
        elm = s.get(School, world.secondary.id)
        conformance.refresh(world.trust.id, None, now=now)
        assessments.record_attestation(oak, item(s, world.trust.id, "DFE-WIRELESS"), status="met",
                                       evidence="Survey by the installer", by=None, now=now)
        assessments.record_attestation(oak, item(s, world.trust.id, "DFE-CYBER"), status="not_met", evidence="",
                                       by=None, now=now)
        # Filtering was confirmed long ago: its evidence runs out within 30 days.
        filtering = item(s, world.trust.id, "DFE-FILTERING")
        assessments.record_attestation(oak, filtering, status="met", evidence="Termly filter test",
                                       by=None, now=now - timedelta(days=filtering.review_days - 10))
        assessments.record_attestation(elm, item(s, world.trust.id, "DFE-WIRELESS"), status="met",
                                       evidence="Survey", by=None, now=now)
        assessments.record_attestation(elm, item(s, world.trust.id, "DFE-CYBER"), status="met",
                                       evidence="Cyber Essentials certificate", by=None, now=now)
    world.far = far
    return world


def _people(make, world):
    return {role: make.user(role=role, school=world.primary, trust=world.trust)
            for role in ("technician", "school_lead", "staff")}


# --- the trust's heatmap ------------------------------------------------------------------------

def _school_rows(text: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/s/[a-z]+/standards">([^<]+)</a>', text)


def test_the_heatmap_shows_every_school_against_the_dfe_standards_in_words(make, scene, login_as):
    client = login_as(make.user(role="technical", trust=scene.trust))
    page = client.get("/trust/standards")
    assert page.status_code == 200
    text = page.text
    assert "DfE digital and technology standards" in text
    assert _school_rows(text) == ["Ash Academy", "Elm School", "Oak School"]
    # Colour and words: every cell carries its status as text, and links to the school's item page.
    assert re.search(r'<td class="hm hm-met"><a href="/s/oak/standards/items/\d+">Met<', text)
    assert re.search(r'<td class="hm hm-not_met"><a href="/s/oak/standards/items/\d+">Not met<', text)
    assert re.search(r'<td class="hm hm-partly_met"><a href="/s/elm/standards/items/\d+">Partly<', text)
    assert 'class="hm hm-unknown"' in text
    # The cards for a phone list what fails at each school.
    assert "Needs attention" in text and "Cyber security" in text
    # Progress toward the 2030 core, with its text alternative.
    core = text.split('aria-label="Schools meeting each core standard for 2030"')[1].split("</ul>")[0]
    assert re.search(r'Cyber security</span>.*?<span class="bar-value">1 of 3 schools</span>', core, re.S)


def test_the_heatmap_filters_and_sorts_by_get_parameters(make, scene, login_as):
    client = login_as(make.user(role="trustee", trust=scene.trust))
    assert _school_rows(client.get("/trust/standards?phase=secondary").text) == ["Elm School"]
    assert _school_rows(client.get("/trust/standards?support=msp").text) == ["Ash Academy", "Elm School"]
    assert _school_rows(client.get("/trust/standards?phase=primary&support=msp").text) == ["Ash Academy"]
    # Most met first: Oak (wireless, filtering, devices) ahead of Elm (wireless, cyber), Ash (nothing) last.
    by_met = client.get("/trust/standards?sort=met").text
    assert _school_rows(by_met) == ["Oak School", "Elm School", "Ash Academy"]
    assert _school_rows(client.get("/trust/standards?sort=least").text) == ["Ash Academy", "Elm School", "Oak School"]
    # The filters stay in the sort links.
    core = client.get("/trust/standards?core=1&phase=primary").text
    assert 'href="/trust/standards?phase=primary&amp;core=1&amp;sort=met"' in core
    assert len(re.findall(r'<th scope="col" class="hm-item">', core)) == 6
    assert "Network cabling" not in core and "Wireless network" in core


def test_the_heatmap_reads_the_cells_in_one_query(make, scene, login_as, count_queries):
    client = login_as(make.user(role="it_director", trust=scene.trust))
    with count_queries() as statements:
        assert client.get("/trust/standards").status_code == 200
    # The cells: one query of the current conformance (the trend reads its own monthly table).
    assert sum(bool(re.search(r"FROM standard_conformance\b(?!_)", " ".join(s.split()))) for s in statements) == 1


def test_another_baseline_is_chosen_by_its_id(app, make, scene, login_as):
    with data(app) as s:
        rpa = baseline(s, scene.trust.id, "RPA-CYBER").id
    client = login_as(make.user(role="service_desk", trust=scene.trust))
    text = client.get(f"/trust/standards?baseline={rpa}").text
    assert "Police CyberAlarm" in text and "Wireless network" not in text


def test_school_people_may_not_open_the_trust_pages(make, scene, login_as):
    people = _people(make, scene)
    for role in ("technician", "school_lead", "staff"):
        client = login_as(people[role])
        for url in ("/trust/standards", "/trust/standards/baselines"):
            assert client.get(url).status_code == 403, (role, url)


# --- baselines ----------------------------------------------------------------------------------

def _rpa(app, world):
    with data(app) as s:
        return baseline(s, world.trust.id, "RPA-CYBER").id, item(s, world.trust.id, "RPA-CYBERALARM").id


def test_trustees_read_baselines_and_their_items_without_changing_them(app, make, scene, login_as):
    rpa, alarm = _rpa(app, scene)
    client = login_as(make.user(role="trustee", trust=scene.trust))
    listing = client.get("/trust/standards/baselines").text
    assert "RPA cyber conditions" in listing and "Cyber Essentials" in listing
    page = client.get(f"/trust/standards/baselines/{rpa}").text
    assert "Police CyberAlarm" in page and "Add an item" not in page and ">Edit<" not in page
    assert client.get(f"/trust/standards/baselines/{rpa}/items/{alarm}/edit").status_code == 403
    assert client.post(f"/trust/standards/baselines/{rpa}/publish").status_code == 403


def test_the_technical_team_edits_a_draft_with_errors_beside_fields_and_publishes_it(app, make, scene,
                                                                                     login_as):
    rpa, alarm = _rpa(app, scene)
    client = login_as(make.user(role="technical", trust=scene.trust))
    form = client.get(f"/trust/standards/baselines/{rpa}/items/{alarm}/edit")
    assert form.status_code == 200 and 'value="365"' in form.text

    refused = client.post(f"/trust/standards/baselines/{rpa}/items/{alarm}/edit", data={
        "title": "Police CyberAlarm", "severity": "medium", "check_kind": "attestation", "review_days": ""})
    assert refused.status_code == 422
    assert re.search(r'<p class="error" id="review_days-error">Give a number\.', refused.text)

    saved = client.post(f"/trust/standards/baselines/{rpa}/items/{alarm}/edit", data={
        "title": "Police CyberAlarm installed", "severity": "high", "check_kind": "attestation",
        "review_days": "180", "phases": ["primary", "secondary"]}, follow_redirects=True)
    assert saved.status_code == 200 and "RPA-CYBERALARM saved in the draft" in saved.text
    added = client.post(f"/trust/standards/baselines/{rpa}/items/new", data={
        "code": "rpa-speeds", "title": "Broadband speed checked", "severity": "low", "check_kind": "measured",
        "unit": "Mbps", "thresholds": "primary download at_least 100 partly 80\nprimary upload at_least 30\n"
                                        "secondary download at_least 1000"},
        follow_redirects=True)
    assert "RPA-SPEEDS saved in the draft" in added.text
    bad_threshold = client.post(f"/trust/standards/baselines/{rpa}/items/new", data={
        "code": "RPA-X", "title": "X", "severity": "low", "check_kind": "measured", "thresholds": "primary fast"})
    assert bad_threshold.status_code == 422 and 'id="thresholds-error"' in bad_threshold.text
    with data(app) as s:
        backups = (s.query(BaselineVersion).filter_by(baseline_id=rpa, status="draft").one().items[0])
        backups_id = backups.id
    removed = client.post(f"/trust/standards/baselines/{rpa}/items/{backups_id}/remove", follow_redirects=True)
    assert "RPA-BACKUPS taken out of the draft" in removed.text

    # The published version is untouched until the draft is published; then the diff shows the changes.
    page = client.get(f"/trust/standards/baselines/{rpa}").text
    assert "What changed from version 1 to 2" in page
    assert "Added:</strong> RPA-SPEEDS" in page and "Removed:</strong> RPA-BACKUPS" in page
    assert "<del>365</del>" in page and "<ins>180</ins>" in page
    published = client.post(f"/trust/standards/baselines/{rpa}/publish", data={"note": "CyberAlarm twice a year"},
                            follow_redirects=True)
    assert "Version 2 published" in published.text
    with data(app):
        codes = {r.item.code for r in conformance.rows_for([scene.primary.id], baseline_id=rpa)}
    assert "RPA-SPEEDS" in codes and "RPA-BACKUPS" not in codes
    assert client.post(f"/trust/standards/baselines/{rpa}/publish", data={}).status_code == 422  # no draft now


# --- a school's standards -----------------------------------------------------------------------

def test_a_school_sees_what_is_asked_due_and_failing_with_the_figures(make, scene, login_as):
    people = _people(make, scene)
    text = login_as(people["technician"]).get("/s/oak/standards").text
    failing = text.split('id="failing"')[1].split('id="due"')[0]
    due = text.split('id="due"')[1].split('id="asked"')[0]
    assert "Cyber security" in failing and "Wireless network" not in failing
    assert "Filtering and monitoring" in due and "Cyber security" not in due
    assert "48 of 50 end-user devices in use run a supported operating system" in text
    assert 'href="/s/oak/assets?group=end_user&amp;support=unsupported"' in text
    # A secondary's item that is not for a primary is not asked of Oak.
    assert "Self-assessment" in text


def test_staff_read_their_school_s_standards_but_do_not_answer(app, make, scene, login_as):
    with data(app) as s:
        cyber = item(s, scene.trust.id, "DFE-CYBER").id
    client = login_as(_people(make, scene)["staff"])
    page = client.get("/s/oak/standards")
    assert page.status_code == 200 and ">Standards<" in page.text  # in the school's navigation
    assert "Self-assessment" not in page.text
    assert 'href="/s/oak/assets?' not in page.text  # staff do not open the register: no link to it
    item_page = client.get(f"/s/oak/standards/items/{cyber}")
    assert item_page.status_code == 200 and "Your answer" not in item_page.text
    assert client.post(f"/s/oak/standards/items/{cyber}", data={"status": "met", "evidence": "x"}).status_code == 403
    assert client.get("/s/oak/standards/self-assessment").status_code == 403
    assert client.get("/s/elm/standards").status_code == 404


def test_a_technician_attests_with_an_uploaded_file_and_the_history_keeps_it(app, make, scene, login_as):
    with data(app) as s:
        cyber = item(s, scene.trust.id, "DFE-CYBER").id
    client = login_as(_people(make, scene)["technician"])
    missing = client.post(f"/s/oak/standards/items/{cyber}", data={"status": "met"})
    assert missing.status_code == 422
    assert re.search(r'id="evidence-error">Say what shows this', missing.text)

    saved = client.post(f"/s/oak/standards/items/{cyber}", data={
        "status": "met", "evidence": "Cyber Essentials certificate renewed",
        "attachment": (io.BytesIO(PNG), "certificate.png")}, content_type="multipart/form-data",
        follow_redirects=True)
    assert saved.status_code == 200
    assert "Your answer about Cyber security is saved: met." in saved.text
    assert "Cyber Essentials certificate renewed" in saved.text and "certificate.png" in saved.text
    with data(app) as s:
        answer = s.query(Assessment).filter_by(school_id=scene.primary.id, item_id=cyber).order_by(
            Assessment.id.desc()).first()
        assert answer.attachment_filename == "certificate.png"
    download = client.get(f"/s/oak/standards/evidence/{answer.id}")
    assert download.status_code == 200 and download.data == PNG
    assert "attachment" in download.headers["Content-Disposition"]
    # The heatmap follows at once.
    trust = login_as(make.user(role="technical", trust=scene.trust)).get("/trust/standards?phase=primary").text
    assert not re.search(rf'hm-not_met"><a href="/s/oak/standards/items/{cyber}"', trust)


def test_a_measured_value_and_not_applicable_are_recorded_from_the_form(app, make, scene, login_as):
    with data(app) as s:
        broadband = item(s, scene.trust.id, "DFE-BROADBAND").id
        devices = item(s, scene.trust.id, "DFE-DEVICES").id
    client = login_as(_people(make, scene)["school_lead"])
    no_upload = client.post(f"/s/oak/standards/items/{broadband}", data={"status": "measured",
                                                                          "measure_download": "85"})
    assert no_upload.status_code == 422 and 'id="measure_upload-error">Give the upload value' in no_upload.text
    measured = client.post(f"/s/oak/standards/items/{broadband}", data={
        "status": "measured", "measure_download": "85", "measure_upload": "35"}, follow_redirects=True)
    # The worst of the two: download is short of 100 Mbps for a primary, upload meets 30.
    assert "saved: partly met" in measured.text and "download 85 Mbps, upload 35 Mbps" in measured.text
    # A computed item takes only "does not apply", with the reason.
    form = client.get(f"/s/oak/standards/items/{devices}").text
    assert 'value="met"' not in form and 'value="not_applicable"' in form
    no_reason = client.post(f"/s/oak/standards/items/{devices}", data={"status": "not_applicable"})
    assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.text
    done = client.post(f"/s/oak/standards/items/{devices}", data={"status": "not_applicable",
                                                                 "reason": "Devices are the trust's, not ours"},
                       follow_redirects=True)
    assert "saved: not applicable" in done.text


def test_an_item_of_another_trust_or_a_superseded_version_is_a_404(app, make, scene, login_as):
    other = make.trust("Other Trust")
    from services.standards import baselines
    with data(app) as s:
        baselines.load_shipped(other.id, now=utcnow())
        foreign = item(s, other.id, "DFE-CYBER").id
    client = login_as(_people(make, scene)["technician"])
    assert client.get(f"/s/oak/standards/items/{foreign}").status_code == 404
    assert client.get("/s/oak/standards/evidence/987654").status_code == 404


# --- the guided self-assessment -----------------------------------------------------------------

def test_the_first_self_assessment_walks_one_item_per_screen_and_resumes(app, make, scene, login_as):
    client = login_as(_people(make, scene)["school_lead"])
    start = client.get("/s/oak/standards/self-assessment")
    assert start.status_code == 200
    assert "12 items apply to Oak School" in start.text and "6 of 12 answered" in start.text
    first = re.search(r'href="(/s/oak/standards/self-assessment/step\?[^"]+)">Carry on with item 1', start.text)
    assert first, start.text
    step = client.get(first.group(1).replace("&amp;", "&"))
    assert "Item 1 of 12" in step.text and "Broadband internet" in step.text

    base = first.group(1).replace("&amp;", "&").split("&n=")[0].split("?")[1]
    # A measured value below the mark: the screen shows the next steps before moving on.
    shown = client.post(f"/s/oak/standards/self-assessment/step?{base}&n=1",
                        data={"status": "measured", "measure_download": "20", "measure_upload": "5"},
                        follow_redirects=True)
    assert "Next steps" in shown.text and "Item 1 of 12" in shown.text and "Next item" in shown.text
    # A computed item is already answered from the records.
    switching = client.get(f"/s/oak/standards/self-assessment/step?{base}&n=2").text
    assert "Answered from the school" in switching and "Your answer" not in switching
    # Attest the next one; it moves straight on.
    moved = client.post(f"/s/oak/standards/self-assessment/step?{base}&n=3",
                        data={"status": "met", "evidence": "Cabling survey 2025"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("n=4")
    # Stop, come back: the walk carries on at the first item still to answer (the computed ones, and
    # cyber security answered "not met", count as answered).
    again = client.get("/s/oak/standards/self-assessment").text
    assert "8 of 12 answered" in again and "Carry on with item 7" in again
    summary = client.get(f"/s/oak/standards/self-assessment/summary?{base}").text
    assert "Next steps" in summary and "Broadband internet" in summary and "Cyber security" in summary
    assert "Still to answer" in summary and "Servers and storage" in summary
    assert client.get(f"/s/oak/standards/self-assessment/step?{base}&n=13").status_code == 404


def test_an_item_s_history_keeps_the_answers_given_to_earlier_versions(app, make, scene, login_as):
    from services.standards import baselines
    with data(app) as s:
        dfe = baseline(s, scene.trust.id, "DFE-DTS")
        baselines.update_item(dfe, "DFE-WIRELESS", {"review_days": 200}, by=None, now=utcnow())
        baselines.publish(baselines.draft_of(dfe), by=None, now=utcnow())
        conformance.refresh(scene.trust.id, None, now=utcnow())
        wireless = item(s, scene.trust.id, "DFE-WIRELESS").id
        oak = s.get(School, scene.primary.id)
        elm_answers = len(assessments.item_history(scene.secondary.id, item(s, scene.trust.id, "DFE-WIRELESS")))
        assessments.record_attestation(oak, item(s, scene.trust.id, "DFE-WIRELESS"), status="partly_met",
                                       evidence="Two rooms without coverage", by=None, now=utcnow())
    assert elm_answers == 1  # Elm's answer, not Oak's
    text = login_as(_people(make, scene)["technician"]).get(f"/s/oak/standards/items/{wireless}").text
    history = text.split("<h2>History</h2>")[1]
    assert history.index("Two rooms without coverage") < history.index("Survey by the installer")
    assert "(version 1)" in history


def test_a_file_that_is_not_evidence_is_refused_beside_its_field(app, make, scene, login_as):
    with data(app) as s:
        cyber = item(s, scene.trust.id, "DFE-CYBER").id
    client = login_as(_people(make, scene)["technician"])
    refused = client.post(f"/s/oak/standards/items/{cyber}", data={
        "status": "met", "evidence": "See the file", "attachment": (io.BytesIO(b"MZ\x90\x00\x03" + bytes(range(256))),
                                                                   "certificate.png")},
        content_type="multipart/form-data")
    assert refused.status_code == 422 and 'id="attachment-error"' in refused.text
    with data(app) as s:
        assert s.query(Assessment).filter_by(school_id=scene.primary.id, item_id=cyber).count() == 1  # the old one


def test_a_drift_is_shown_and_a_request_opened_from_it_in_one_click(app, make, scene, figures, login_as):
    from services.desk.models import Ticket
    from services.standards.models import DriftEvent
    # An Intune sync later: Oak's devices fall out of support, so the computed item turns from met to not met.
    figures.table["assets.supported_os_share"][scene.primary.id] = Figure(
        50.0, 25, 50, "25 of 50 end-user devices in use run a supported operating system",
        {"school": str(scene.primary.id), "group": "end_user", "support": "unsupported"})
    figures.table["assets.supported_os_share"][scene.secondary.id] = Figure(10.0, 5, 50, "5 of 50", {})
    with data(app) as s:
        conformance.refresh(scene.trust.id, None, now=utcnow())
        devices = item(s, scene.trust.id, "DFE-DEVICES").id
        oak_drift = s.query(DriftEvent).filter_by(school_id=scene.primary.id, item_id=devices).one().id
        elm_drift = s.query(DriftEvent).filter_by(school_id=scene.secondary.id).first()
    people = _people(make, scene)
    assert elm_drift is None  # Elm was only partly met: no drift
    page = login_as(people["staff"]).get("/s/oak/standards").text
    assert "What changed on its own" in page and "Met → Not met" in page and "Open a request" not in page
    assert login_as(people["staff"]).post(f"/s/oak/standards/drift/{oak_drift}/ticket").status_code == 403

    technician = login_as(people["technician"])
    assert "Open a request" in technician.get("/s/oak/standards").text  # Cyber Essentials' updates drifted too
    opened = technician.post(f"/s/oak/standards/drift/{oak_drift}/ticket")
    assert opened.status_code == 302 and "/s/oak/tickets/" in opened.headers["Location"]
    again = technician.post(f"/s/oak/standards/drift/{oak_drift}/ticket")
    assert again.headers["Location"] == opened.headers["Location"]  # the same request, not a second
    with data(app) as s:
        assert s.query(Ticket).filter(Ticket.title.like("Standard no longer met%")).count() == 1
    assert "The request about it" in technician.get("/s/oak/standards").text
    assert technician.post("/s/elm/standards/drift/1/ticket").status_code == 404


def test_the_trust_technical_team_reads_a_school_item_but_the_school_answers_it(app, make, scene, login_as):
    with data(app) as s:
        cyber = item(s, scene.trust.id, "DFE-CYBER").id
    client = login_as(make.user(role="technical", trust=scene.trust))
    page = client.get(f"/s/oak/standards/items/{cyber}")
    assert page.status_code == 200 and "Cyber security" in page.text and "Your answer" not in page.text
    assert client.post(f"/s/oak/standards/items/{cyber}", data={"status": "met", "evidence": "x"}).status_code == 403
    assert client.get("/s/oak/standards/self-assessment").status_code == 403


def test_a_school_of_a_trust_with_no_standards_is_told_so(make, login_as):
    trust = make.trust("Empty Trust")
    school = make.school("bare", trust=trust)
    client = login_as(make.user(role="technician", school=school, trust=trust))
    assert "The trust has not published any standards yet" in client.get("/s/bare/standards").text
    assert "nothing to assess against" in client.get("/s/bare/standards/self-assessment").text
    assert client.get("/s/bare/standards/self-assessment/step?n=1").status_code == 404
    trust_page = login_as(make.user(role="trustee", trust=trust)).get("/trust/standards")
    assert trust_page.status_code == 200 and "The trust has no standards yet" in trust_page.text


def test_the_heatmap_shows_conformance_month_by_month_for_the_schools_shown(app, make, scene, login_as):
    from services.standards import trends
    now = utcnow()
    last_month = trends.month_of(trends.month_of(now) - timedelta(days=1))
    with data(app):
        trends.record_month(scene.trust.id, now=now.replace(year=last_month.year, month=last_month.month, day=15))
        trends.record_month(scene.trust.id, now=now)
    client = login_as(make.user(role="it_director", trust=scene.trust))
    text = client.get("/trust/standards").text
    assert "Month by month" in text
    assert re.search(r'<svg class="chart"[^>]*role="img"', text)
    for month in (last_month, trends.month_of(now)):
        assert f'<th scope="row">{month:%B %Y}</th>' in text
    # Oak and Elm have met items, Ash nothing: the trend counts only the schools the filters keep.
    everyone = re.findall(r'data-label="Items met">[\d.]+% \((\d+) of (\d+)\)', text)
    secondary = re.findall(r'data-label="Items met">[\d.]+% \((\d+) of (\d+)\)',
                           client.get("/trust/standards?phase=secondary").text)
    assert len(everyone) == len(secondary) == 2
    assert int(secondary[-1][1]) < int(everyone[-1][1]) and int(secondary[-1][0]) <= int(everyone[-1][0])


def test_an_item_page_offers_an_exception_to_those_who_may_ask_and_every_role_finds_the_list(app, make, scene,
                                                                                             login_as):
    people = _people(make, scene)
    with data(app) as s:
        cyber = item(s, scene.trust.id, "DFE-CYBER").id
    page = login_as(people["technician"]).get(f"/s/oak/standards/items/{cyber}").text
    assert f'href="/s/oak/standards/items/{cyber}/exception"' in page
    staff = login_as(people["staff"])
    assert "/exception\"" not in staff.get(f"/s/oak/standards/items/{cyber}").text
    assert 'href="/s/oak/standards/exceptions"' in staff.get("/s/oak/standards").text


def test_the_technical_team_creates_the_trusts_own_baseline_and_fills_its_draft(app, make, scene, login_as):
    trustee = login_as(make.user(role="trustee", trust=scene.trust))
    assert "A new baseline" not in trustee.get("/trust/standards/baselines").text
    assert trustee.get("/trust/standards/baselines/new").status_code == 403
    client = login_as(make.user(role="technical", trust=scene.trust))
    assert 'href="/trust/standards/baselines/new"' in client.get("/trust/standards/baselines").text
    refused = client.post("/trust/standards/baselines/new", data={"code": "DFE-DTS", "title": "Again"})
    assert refused.status_code == 422 and "already has a baseline with this code" in refused.text
    created = client.post("/trust/standards/baselines/new",
                          data={"code": "laptop-build", "title": "Standard staff laptop build v3"})
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).text
    assert "Standard staff laptop build v3" in page and "/items/new" in page
    with data(app) as s:
        mine = baseline(s, scene.trust.id, "LAPTOP-BUILD")
        assert mine.source == "trust" and [v.status for v in mine.versions] == ["draft"]
