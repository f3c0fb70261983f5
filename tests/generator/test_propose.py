"""Proposals for a new connector.yaml (`connectory.generator._propose`).

Small specs of our own (``fixtures/propose/``) pin every pagination style, the RPC-style
pairing, server and auth choices; the proposed paginators then walk fake APIs that page
the way those specs describe. The full vendor specs of GitHub, Slack and Stripe are held
against the resources, auth, base URL and pagination that our shipped connector.yaml files
declare, read from those files so the test follows them. The corpus test runs the proposer
over every vendor spec (``../shared/specs``; skipped with a message where it is absent).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import yaml

from connectory.core import PageRequest, iterate_items
from connectory.generator._definition import PAGINATION_STYLES
from connectory.generator._loader import load_openapi
from connectory.generator._propose import (
    PaginationProposal,
    Proposal,
    ResourceProposal,
    propose,
    propose_file,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "propose"
REPOSITORY = Path(__file__).resolve().parents[2]
SPECS = REPOSITORY.parent / "shared" / "specs" / "business"
CORPUS = sorted(SPECS.glob("*.json")) if SPECS.is_dir() else []
needs_specs = pytest.mark.skipif(
    not SPECS.is_dir(), reason=f"{SPECS} is absent: these tests read the shared vendor specs"
)

Respond = Callable[[httpx.Request], httpx.Response]


def from_fixture(name: str) -> Proposal:
    return propose_file(FIXTURES / name)


def resource(proposal: Proposal, name: str) -> ResourceProposal:
    found = proposal.resource(name)
    assert found is not None, f"no {name!r} among {[r.name for r in proposal.resources]}"
    return found


def build_paginator(pagination: PaginationProposal) -> Any:
    """The core paginator a connector.yaml with this pagination would get."""
    settings = pagination.to_yaml_dict()
    return PAGINATION_STYLES[settings.pop("style")](**settings)


async def walk(proposal: Proposal, found: ResourceProposal, respond: Respond) -> list[Any]:
    """Every item of the resource's listing, paged by the proposed paginator."""
    base_url = proposal.base_url.url
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(respond), base_url=base_url
    ) as client:

        async def send(request: PageRequest) -> httpx.Response:
            response = await client.request(
                request.method, request.url, params=dict(request.params), headers=request.headers
            )
            await response.aread()
            return response

        items = iterate_items(
            send,
            PageRequest(url=found.list_path),
            build_paginator(found.pagination),
            base_url=base_url,
            items_path=found.items_path,
            max_pages=20,
        )
        return [item async for item in items]


# -- one spec per pagination style ----------------------------------------------------------


def test_cursor_in_body_with_has_more_and_the_declared_maximum() -> None:
    proposal = from_fixture("cursor_in_body.yaml")
    notes = resource(proposal, "notes")
    assert (notes.list_operation, notes.get_operation) == ("listNotes", "getNote")
    assert (notes.id_param, notes.id_field, notes.items_path, notes.item_path) == (
        "note_id",
        "id",
        "data",
        None,
    )
    assert notes.pagination.to_yaml_dict() == {
        "style": "cursor_in_body",
        "cursor_path": "next_cursor",
        "cursor_param": "cursor",
        "has_more_path": "has_more",
        "limit_param": "limit",
        "page_size": 200,
    }
    assert proposal.pagination.pages_like(notes.pagination)


async def test_the_proposed_cursor_pages_through_a_fake_api() -> None:
    proposal = from_fixture("cursor_in_body.yaml")
    notes = [{"id": f"n{i}", "title": str(i)} for i in range(5)]

    def respond(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v2/notes"
        start = int(request.url.params.get("cursor") or 0)
        size = min(int(request.url.params["limit"]), 2)  # the server pages by 2 at most
        end = start + size
        more = end < len(notes)
        body = {"data": notes[start:end], "next_cursor": str(end) if more else None}
        return httpx.Response(200, json=body | {"has_more": more})

    assert await walk(proposal, resource(proposal, "notes"), respond) == notes


async def test_last_item_cursor_follows_the_last_id_while_has_more() -> None:
    proposal = from_fixture("last_item_cursor.yaml")
    widgets = resource(proposal, "widgets")
    assert (widgets.get_operation, widgets.id_param, widgets.items_path, widgets.item_path) == (
        "GetWidgetsWidget",
        "widget",
        "data",
        None,
    )
    assert widgets.pagination.to_yaml_dict() == {
        "style": "last_item_cursor",
        "id_field": "id",
        "cursor_param": "starting_after",
        "has_more_path": "has_more",
    }
    rows = [{"id": f"w{i}", "size": i} for i in range(5)]

    def respond(request: httpx.Request) -> httpx.Response:
        after = request.url.params.get("starting_after")
        start = next(i + 1 for i, row in enumerate(rows) if row["id"] == after) if after else 0
        page = rows[start : start + 2]
        more = start + 2 < len(rows)
        return httpx.Response(200, json={"object": "list", "data": page, "has_more": more})

    assert await walk(proposal, widgets, respond) == rows


async def test_link_header_declared_or_implied_by_page_and_per_page() -> None:
    proposal = from_fixture("link_header.yaml")
    tickets = resource(proposal, "tickets")
    assert tickets.pagination.to_yaml_dict() == {"style": "link_header", "rel": "next"}
    assert "Link header" in tickets.pagination.reasons
    teams = resource(proposal, "teams")
    assert teams.pagination.style == "link_header"
    assert "per_page" in teams.pagination.reasons

    rows = [{"id": i, "number": i + 100, "title": "t"} for i in range(5)]

    def respond(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page") or 1)
        headers = {}
        if page * 2 < len(rows):
            headers["Link"] = f'<{request.url.copy_set_param("page", page + 1)}>; rel="next"'
        return httpx.Response(200, json=rows[(page - 1) * 2 : page * 2], headers=headers)

    assert await walk(proposal, tickets, respond) == rows


def test_nested_collection_and_scoped_listing_pairing() -> None:
    proposal = from_fixture("link_header.yaml")
    tickets = resource(proposal, "tickets")
    # /teams/{team}/tickets pairs with the path below it; its parameter names the number.
    assert (tickets.get_operation, tickets.id_param, tickets.id_field) == (
        "tickets/get",
        "ticket_number",
        "number",
    )
    teams = resource(proposal, "teams")
    # /me/teams pairs with the collection's top-level get /teams/{team}, whose string
    # parameter cannot take the integer id: the slug fills it.
    assert (teams.list_operation, teams.get_operation, teams.id_param, teams.id_field) == (
        "teams/list-mine",
        "teams/get",
        "team",
        "slug",
    )
    assert "top-level" in teams.reasons


async def test_offset_limit_with_total_and_other_parameter_names() -> None:
    proposal = from_fixture("offset_limit.yaml")
    accounts = resource(proposal, "accounts")
    assert (accounts.id_param, accounts.id_field, accounts.items_path) == (
        "accountId",
        "accountId",
        "items",
    )
    assert accounts.pagination.to_yaml_dict() == {
        "style": "offset_limit",
        "offset_param": "offset",
        "limit_param": "limit",
        "page_size": 50,
        "total_path": "total",
    }
    audits = resource(proposal, "audits")
    assert audits.pagination.to_yaml_dict() == {
        "style": "offset_limit",
        "offset_param": "startAt",
        "limit_param": "maxResults",
        "page_size": 25,  # no maximum declared: the parameter's default is safe to ask for
        "total_path": "meta.totalCount",
    }
    rows = [{"accountId": f"a{i}", "name": "n"} for i in range(120)]
    offsets: list[int] = []

    def respond(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        offsets.append(offset)
        return httpx.Response(
            200, json={"total": len(rows), "items": rows[offset : offset + limit]}
        )

    assert await walk(proposal, accounts, respond) == rows
    assert offsets == [0, 50, 100]  # the total ends the walk: no request for an empty page


async def test_page_number_with_size_and_page_count() -> None:
    proposal = from_fixture("page_number.yaml")
    orders = resource(proposal, "orders")
    assert (orders.get_operation, orders.items_path, orders.item_path) == (
        "getOrder",
        "orders",
        "order",
    )
    assert orders.pagination.to_yaml_dict() == {
        "style": "page_number",
        "page_param": "page",
        "start": 1,
        "size_param": "page_size",
        "page_size": 100,
        "total_pages_path": "meta.total_pages",
    }
    stores = resource(proposal, "stores")
    # Counting from 0, no size parameter: only an empty page can end the listing.
    assert stores.pagination.to_yaml_dict() == {
        "style": "page_number",
        "page_param": "pageIndex",
        "start": 0,
        "size_param": None,
        "page_size": None,
    }
    assert stores.id_field == "code"
    rows = [{"id": i, "total": 1.5} for i in range(250)]
    pages: list[int] = []

    def respond(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["page"]), int(request.url.params["page_size"])
        pages.append(page)
        chunk = rows[(page - 1) * size : page * size]
        return httpx.Response(200, json={"orders": chunk, "meta": {"total_pages": 3}})

    assert await walk(proposal, orders, respond) == rows
    assert pages == [1, 2, 3]


async def test_next_url_in_body_plain_odata_and_hal() -> None:
    proposal = from_fixture("next_url_in_body.yaml")
    paths = {r.name: (r.items_path, r.pagination.to_yaml_dict()) for r in proposal.resources}
    assert paths == {
        "people": ("results", {"style": "next_url_in_body", "next_path": "next"}),
        "devices": ("value", {"style": "next_url_in_body", "next_path": "@odata.nextLink"}),
        "rooms": (
            "_embedded.rooms",
            {"style": "next_url_in_body", "next_path": "_links.next.href"},
        ),
    }
    people = resource(proposal, "people")
    assert (people.get_operation, people.id_param, people.id_field) == (
        "getPerson",
        "uuid",
        "uuid",
    )
    rows = [{"uuid": f"p{i}", "name": "n"} for i in range(5)]

    def respond(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page") or 0)
        following = page + 1 if (page + 1) * 2 < len(rows) else None
        link = None if following is None else f"https://next.invalid/v1/people?page={following}"
        return httpx.Response(200, json={"results": rows[page * 2 : page * 2 + 2], "next": link})

    assert await walk(proposal, people, respond) == rows


async def test_cursor_in_header_and_a_listing_without_paging() -> None:
    proposal = from_fixture("cursor_in_header.yaml")
    events = resource(proposal, "events")
    assert events.pagination.to_yaml_dict() == {
        "style": "cursor_in_header",
        "header": "x-next-cursor",
        "cursor_param": "cursor",
    }
    regions = resource(proposal, "regions")
    assert regions.pagination.style == "none"
    assert regions.to_yaml_dict(proposal.pagination)["pagination"] == {"style": "none"}
    # The default is the style of the listings that page, not `none`.
    assert proposal.pagination.style == "cursor_in_header"
    rows = [{"id": f"e{i}", "kind": "k"} for i in range(3)]

    def respond(request: httpx.Request) -> httpx.Response:
        index = int(request.url.params.get("cursor") or 0)
        headers = {"X-Next-Cursor": str(index + 1)} if index + 1 < len(rows) else {}
        return httpx.Response(200, json=rows[index : index + 1], headers=headers)

    assert await walk(proposal, events, respond) == rows


# -- RPC-style methods ----------------------------------------------------------------------


async def test_rpc_list_method_pairs_with_its_info_method() -> None:
    proposal = from_fixture("rpc.yaml")
    rooms = resource(proposal, "rooms")
    assert rooms.to_yaml_dict() == {
        "list": "rooms_list",
        "get": "rooms_info",
        "id_param": "room",
        "id_field": "id",
        "items_path": "rooms",
        "item_path": "room",
        "pagination": {
            "style": "cursor_in_body",
            "cursor_path": "response_metadata.next_cursor",
            "cursor_param": "cursor",
        },
    }
    assert "beside the list method" in rooms.reasons
    rows = [{"id": f"R{i}", "name": "r"} for i in range(3)]

    def respond(request: httpx.Request) -> httpx.Response:
        index = int(request.url.params.get("cursor") or 0)
        cursor = str(index + 2) if index + 2 < len(rows) else ""  # "" ends, as Slack does
        body = {"ok": True, "rooms": rows[index : index + 2]}
        return httpx.Response(200, json=body | {"response_metadata": {"next_cursor": cursor}})

    assert await walk(proposal, rooms, respond) == rows


def test_rpc_oauth2_proposal_with_the_scopes_the_resources_need() -> None:
    auth = from_fixture("rpc.yaml").auth
    assert auth.to_yaml_dict() == {
        "type": "oauth2",
        # the spec's relative token URL, on the server's origin
        "token_url": "https://rpc.invalid/api/oauth.access",
        "authorization_url": "https://rpc.invalid/oauth/authorize",
        "scopes": ["rooms:history", "rooms:read"],  # not rooms:write: no resource writes
    }
    assert [a.type for a in auth.alternatives] == ["bearer_token"]


# -- base URL and auth ----------------------------------------------------------------------


def test_production_https_server_preferred_and_variables_filled() -> None:
    base_url = from_fixture("servers_and_auth.yaml").base_url
    assert base_url.url == "https://api.servers.invalid/v3"
    assert base_url.alternatives == (
        "http://api.servers.invalid/v3",
        "https://sandbox.servers.invalid/v3",
    )
    assert not base_url.needs_host
    assert "3 servers" in base_url.reasons


def test_most_used_scheme_first_with_the_others_as_alternatives() -> None:
    auth = from_fixture("servers_and_auth.yaml").auth
    assert auth.to_yaml_dict() == {
        "type": "api_key",
        "api_key": {"name": "Authorization", "in": "header", "prefix": "Token"},
    }
    assert [a.to_yaml_dict() for a in auth.alternatives] == [
        {
            "type": "oauth2_client_credentials",
            "token_url": "https://auth.servers.invalid/token",
            "scopes": ["projects.read"],
        },
        {"type": "bearer_token"},
        {"type": "basic"},
    ]
    assert "Required by 2 of 3 operations" in auth.reasons
    assert "without credentials: 1" in auth.reasons


def test_relative_server_of_a_converted_swagger_spec() -> None:
    proposal = from_fixture("relative_server.yaml")
    assert proposal.base_url.url == "https://{host}/api/v1"
    assert proposal.base_url.needs_host
    assert "{host}" in proposal.base_url.reasons
    assert proposal.auth.to_yaml_dict() == {
        "type": "api_key",
        "api_key": {"name": "access_token", "in": "query", "prefix": None},
    }
    labels = resource(proposal, "labels")
    assert (labels.get_operation, labels.id_param, labels.id_field) == ("getLabel", "id", "id")
    # page + limit without a declared size: sending no size keeps short pages meaningful
    assert labels.pagination.to_yaml_dict() == {
        "style": "page_number",
        "page_param": "page",
        "start": 1,
        "size_param": "limit",
        "page_size": None,
    }


def minimal(**extra: Any) -> dict[str, Any]:
    """A document with one listing, plus `extra` top-level keys."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/things": {
                "get": {
                    "operationId": "listThings",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {"id": {"type": "string"}},
                                        },
                                    }
                                }
                            },
                        }
                    },
                }
            }
        },
        **extra,
    }


def test_server_variable_without_default_stays_a_placeholder() -> None:
    document = minimal(
        servers=[
            {
                "url": "https://{tenant}.api.invalid/{version}",
                "variables": {
                    "tenant": {"description": "yours"},
                    "version": {"enum": ["v2", "v1"]},
                },
            }
        ]
    )
    base_url = propose(document).base_url
    assert base_url.url == "https://{tenant}.api.invalid/v2"
    assert base_url.unfilled_variables == ("tenant",)
    assert "tenant" in base_url.reasons


def test_no_server_asks_for_the_host() -> None:
    base_url = propose(minimal()).base_url
    assert (base_url.url, base_url.needs_host) == ("https://{host}", True)


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        (
            {
                "type": "oauth2",
                "flows": {
                    "clientCredentials": {"tokenUrl": "https://id.invalid/token", "scopes": {}}
                },
            },
            {"type": "oauth2_client_credentials", "token_url": "https://id.invalid/token"},
        ),
        (
            {"type": "openIdConnect", "openIdConnectUrl": "https://id.invalid"},
            {"type": "bearer_token"},
        ),
        ({"type": "http", "scheme": "basic"}, {"type": "basic"}),
        (
            {"type": "apiKey", "in": "cookie", "name": "session"},
            {"type": "api_key", "api_key": {"name": "session", "in": "cookie", "prefix": None}},
        ),
    ],
    ids=["client-credentials", "openid-connect", "basic", "cookie-key"],
)
def test_each_kind_of_scheme(scheme: dict[str, Any], expected: dict[str, Any]) -> None:
    document = minimal(components={"securitySchemes": {"only": scheme}}, security=[{"only": []}])
    assert propose(document).auth.to_yaml_dict() == expected


def test_no_scheme_is_none_with_a_reason() -> None:
    auth = propose(minimal()).auth
    assert auth.type == "none"
    assert "no security scheme" in auth.reasons


def test_unsupported_scheme_is_none_with_a_reason() -> None:
    document = minimal(components={"securitySchemes": {"d": {"type": "http", "scheme": "digest"}}})
    auth = propose(document).auth
    assert auth.type == "none"
    assert "http" in auth.reasons


# -- ranking, cap, determinism --------------------------------------------------------------


def many_collections(collections: int) -> dict[str, Any]:
    """`collections` top-level collections with gets, nested listings without, a feed."""
    item = {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}

    def get(operation_id: str, schema: Any) -> dict[str, Any]:
        content = {"application/json": {"schema": schema}}
        return {
            "get": {
                "operationId": operation_id,
                "responses": {"200": {"description": "ok", "content": content}},
            }
        }

    paths: dict[str, Any] = {}
    for n in range(collections):
        paths[f"/things{n}"] = get(f"list{n}", {"type": "array", "items": item})
        paths[f"/things{n}/{{id}}"] = get(f"get{n}", item)
        paths[f"/things{n}/{{id}}/parts"] = get(f"parts{n}", {"type": "array", "items": item})
    paths["/events"] = get("listEvents", {"type": "array", "items": item})
    return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths}


def test_capped_with_paired_collections_first_and_the_event_feed_kept() -> None:
    proposal = propose(many_collections(16))
    assert len(proposal.resources) == 12
    names = [r.name for r in proposal.resources]
    assert names[-1] == "events"  # ranks low (no get, nothing refers to it) but is kept
    assert all(r.get_operation is not None for r in proposal.resources[:-1])
    assert len(set(names)) == len(names)
    scores = [r.score for r in proposal.resources[:-1]]
    assert scores == sorted(scores, reverse=True)
    assert [r.name for r in propose(many_collections(16), max_resources=3).resources] == [
        *names[:2],
        "events",
    ]


def test_proposals_are_deterministic_whatever_the_path_order() -> None:
    document = many_collections(16)
    reordered = copy.deepcopy(document)
    reordered["paths"] = dict(reversed(list(document["paths"].items())))
    first = propose(document).to_yaml_dict()
    assert propose(copy.deepcopy(document)).to_yaml_dict() == first
    assert propose(reordered).to_yaml_dict() == first


def test_yaml_mapping_omits_pagination_equal_to_the_default() -> None:
    proposal = from_fixture("page_number.yaml")
    mapping = proposal.to_yaml_dict()
    assert yaml.safe_load(yaml.safe_dump(mapping)) == mapping
    assert mapping["pagination"]["style"] == "page_number"
    assert "pagination" not in mapping["resources"]["orders"]  # the default's settings
    assert mapping["resources"]["stores"]["pagination"]["start"] == 0


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.yaml")))
def test_every_proposed_pagination_builds_its_paginator(name: str) -> None:
    proposal = from_fixture(name)
    for pagination in [proposal.pagination, *(r.pagination for r in proposal.resources)]:
        paginator = build_paginator(pagination)
        accepted = {field.name for field in attrs.fields(type(paginator))}
        assert set(pagination.to_yaml_dict()) - {"style"} <= accepted
        assert pagination.reasons
    assert all(r.reasons for r in proposal.resources)


def test_negative_cap_is_refused() -> None:
    with pytest.raises(ValueError, match="max_resources"):
        propose(minimal(), max_resources=-1)


# -- the shipped connectors against their full vendor specs ---------------------------------

SHIPPED = ("github", "slack", "stripe")


@pytest.fixture(scope="module")
def vendor() -> dict[str, tuple[Proposal, dict[str, Any], dict[str, Any]]]:
    """name -> (proposal for the full vendor spec, shipped connector.yaml, the spec)."""
    if not SPECS.is_dir():
        pytest.skip(f"{SPECS} is absent: these tests read the shared vendor specs")
    result = {}
    for name in SHIPPED:
        shipped = yaml.safe_load(
            (REPOSITORY / "openapi_specs" / name / "connector.yaml").read_text(encoding="utf-8")
        )
        spec = SPECS / shipped["source_spec"]
        document, _ = load_openapi(spec)
        result[name] = (propose_file(spec), shipped, document)
    return result


def declared_pagination(shipped: dict[str, Any], declared: dict[str, Any]) -> str:
    return str(
        (declared.get("pagination") or shipped.get("pagination") or {"style": "none"})["style"]
    )


@needs_specs
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_resources_are_proposed(
    name: str, vendor: dict[str, tuple[Proposal, dict[str, Any], dict[str, Any]]]
) -> None:
    """Each resource of the shipped connector.yaml, proposed as declared.

    GitHub's ``repos`` lists the token user's repositories (``/user/repos``), not an
    organization's: several listings pair with the top-level get ``/repos/{owner}/{repo}``
    (the user's, an org's, another user's, a team's) and the proposer keeps the one that
    needs no parameters, so it matches the shipped resource exactly, as do issues, pulls
    and orgs. A value the connector declares as a gap of the vendor's spec (``spec_gaps``)
    may differ: a proposal read from the spec cannot know it.
    """
    proposal, shipped, _ = vendor[name]
    gaps = set(shipped.get("spec_gaps") or {})
    by_list = {r.list_operation: r for r in proposal.resources}
    for resource_name, declared in shipped["resources"].items():
        found = by_list.get(declared["list"])
        assert found is not None, f"{name}.{resource_name}: {declared['list']} not proposed"
        expected = {
            "get": declared.get("get"),
            "id_param": declared.get("id_param"),
            "id_field": declared.get("id_field", "id"),
            "items_path": declared.get("items_path"),
            "item_path": declared.get("item_path"),
            "pagination.style": declared_pagination(shipped, declared),
        }
        actual = {
            "get": found.get_operation,
            "id_param": found.id_param,
            "id_field": found.id_field,
            "items_path": found.items_path,
            "item_path": found.item_path,
            "pagination.style": found.pagination.style,
        }
        for key, value in expected.items():
            gap = any(g.startswith(f"resources.{resource_name}.{key.split('.')[0]}") for g in gaps)
            assert actual[key] == value or gap, (
                f"{name}.{resource_name}.{key}: proposed {actual[key]!r}, declared {value!r}"
                f" ({found.reasons})"
            )


@needs_specs
@pytest.mark.parametrize("name", SHIPPED)
def test_base_url_and_default_pagination_match_the_shipped_ones(
    name: str, vendor: dict[str, tuple[Proposal, dict[str, Any], dict[str, Any]]]
) -> None:
    proposal, shipped, _ = vendor[name]
    assert proposal.base_url.url == shipped["base_url"]
    assert proposal.pagination.style == (shipped.get("pagination") or {"style": "none"})["style"]


@needs_specs
@pytest.mark.parametrize("name", SHIPPED)
def test_auth_matches_the_shipped_one_where_the_spec_says(
    name: str, vendor: dict[str, tuple[Proposal, dict[str, Any], dict[str, Any]]]
) -> None:
    """The shipped auth type is proposed, first or as an alternative, when the spec
    declares security schemes; without any, `none` with a reason is the honest answer."""
    proposal, shipped, document = vendor[name]
    declared = shipped["auth"] if isinstance(shipped["auth"], list) else [shipped["auth"]]
    offered = [proposal.auth.type, *(a.type for a in proposal.auth.alternatives)]
    if not (document.get("components") or {}).get("securitySchemes"):
        assert proposal.auth.type == "none"
        assert "no security scheme" in proposal.auth.reasons
        return
    assert any(d["type"] in offered for d in declared), (offered, declared)


@needs_specs
def test_vendor_auth_details(
    vendor: dict[str, tuple[Proposal, dict[str, Any], dict[str, Any]]],
) -> None:
    # Stripe: bearer and basic are equally required; one token beats a user and password.
    stripe = vendor["stripe"][0].auth
    assert (stripe.type, [a.type for a in stripe.alternatives]) == ("bearer_token", ["basic"])
    # Slack: its OAuth2 flow as written in the spec, the shipped bot token as alternative.
    slack, _, document = vendor["slack"]
    flow = next(iter(document["components"]["securitySchemes"].values()))["flows"]
    code = flow["authorizationCode"]
    assert slack.auth.type == "oauth2"
    assert (slack.auth.token_url, slack.auth.authorization_url) == (
        code["tokenUrl"],
        code["authorizationUrl"],
    )
    listing = document["paths"]["/conversations.list"]["get"]
    assert set(listing["security"][0]["slackAuth"]) <= set(slack.auth.scopes)
    assert "bearer_token" in [a.type for a in slack.auth.alternatives]


# -- every vendor spec ------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS, reason=f"{SPECS} is absent: the corpus tests need the vendor specs")
@pytest.mark.parametrize("spec", CORPUS, ids=lambda spec: spec.stem)
def test_every_vendor_spec_gets_a_proposal(spec: Path) -> None:
    proposal = propose_file(spec)
    assert len(proposal.resources) <= 12
    assert len({r.name for r in proposal.resources}) == len(proposal.resources)
    for found in proposal.resources:
        build_paginator(found.pagination)
        assert found.name.isidentifier()
        assert found.name == found.name.lower()
    yaml.safe_dump(proposal.to_yaml_dict())
