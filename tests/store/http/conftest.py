from tests.store.http.fixtures import http_reference  # noqa: F401
