"""Every mock documents its routes on FastAPI's OpenAPI page, under /__admin."""

from __future__ import annotations

import importlib

import pytest

from mocks.registry import MOCKS


@pytest.mark.parametrize("name", sorted(MOCKS))
def test_openapi_page_lists_the_service_routes(name: str) -> None:
    module_name, attribute = MOCKS[name].factory.split(":")
    service = getattr(importlib.import_module(module_name), attribute)()
    with service, service.client() as client:
        spec = client.get("/__admin/openapi.json").json()
        docs = client.get("/__admin/docs")
    service_paths = [path for path in spec["paths"] if not path.startswith("/__admin")]
    if MOCKS[name].smtp_port is None:
        assert service_paths, f"{name}: no service route documented"
    else:  # the email mock speaks SMTP; its HTTP side is the admin API alone
        assert "/__admin/messages" in spec["paths"]
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    # the docs are admin traffic: never journaled as calls to the service
    assert service.journal.count() == 0


def test_admin_routes_win_over_service_path_parameters() -> None:
    from mocks.cloud_api import create_service

    service = create_service()
    with service, service.client() as client:
        # the Cloud API serves GET /{version}/{media_id}: it must not catch admin paths
        assert client.get("/__admin/health").status_code == 200
        assert client.get("/__admin/state").status_code == 200
