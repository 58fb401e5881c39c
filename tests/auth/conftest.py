"""Microsoft 365 sign-in against a fake identity platform served through msal's http_client hook."""
import warnings

import pytest

from tests.fakes.entra import FakeEntra
from trust_it.auth.id_token import clear_jwks_cache


@pytest.fixture
def entra(app):
    fake = FakeEntra()
    saved = {k: app.config[k] for k in ("ENTRA_CLIENT_ID", "ENTRA_CLIENT_SECRET", "ENTRA_ENABLED", "ENTRA_HTTP_CLIENT")}
    app.config.update(ENTRA_CLIENT_ID=fake.client_id, ENTRA_CLIENT_SECRET=fake.client_secret, ENTRA_ENABLED=True,
                      ENTRA_HTTP_CLIENT=fake.http_client)
    clear_jwks_cache()
    warnings.filterwarnings("ignore", message=".*form_post.*")
    yield fake
    app.config.update(saved)
    clear_jwks_cache()
