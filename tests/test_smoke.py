from tests.conftest import login


def test_a_technician_signs_in_and_lands_on_their_school(app, client, make):
    oak = make.school("oak")
    tech = make.user(role="technician", school=oak)
    response = login(client, tech)
    assert response.headers["Location"].endswith("/")
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200
    assert "Oak School" in page.text
