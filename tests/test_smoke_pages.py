"""Every page of the router renders for every role without an exception."""
import pytest

from tests.apptest import point_app_at, signed_in
from tests.scenarios import two_location_workshop
from ui.navigation import PAGES

ROLES = {"admin": "boss", "manager": "nina", "member": "mo"}


@pytest.fixture(scope="module")
def workshop(databases, tmp_path_factory):
    url = databases.new("smoke")
    point_app_at(url, tmp_path_factory.mktemp("smoke-data"))
    return two_location_workshop(url)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.url_path or "home")
def test_page_renders_for_role(workshop, spec, role):
    query = {"id": str(workshop.product_id)} if spec.url_path == "product" else {}
    at = signed_in(workshop.url, ROLES[role], page=spec.file, query=query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    menu = [link.label for link in at.sidebar.get("page_link")]
    assert "Home" in menu  # the router drew the sidebar: the gate was passed, not bypassed
    from lib.access import ROLE_RIGHTS
    from lib.models import Role

    allowed = spec.right is None or spec.right in ROLE_RIGHTS[Role(role)]
    if not allowed:  # the address says why in one line, with no data, instead of silently showing Home
        assert [element.value for element in at.warning] == [spec.refusal]
        assert [element.value for element in at.title] == [spec.title] and not at.dataframe
