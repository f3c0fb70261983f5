"""What the contract harness found that is still open, and how the general run steps round it.

An open generator or core bug (B3, B6) has a deterministic reproduction in
test_known_bugs.py, marked ``xfail(strict=True)``: it fails today and turns into an
unexpected pass (a failure of the suite) once the bug is fixed, which is the signal to
delete its entry here and the avoidance that goes with it. Until then the property tests
avoid exactly the input that triggers it, so that they keep checking everything else
about the affected operation. (B1, B2, B4 and B5 are fixed; test_known_bugs.py keeps
their reproductions as regression tests.)

Disagreements between a connector.yaml and its spec (S1, S2) are no code bug; the
listings they break are marked ``xfail(strict=True)`` in test_resources.py and flip when
the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from ._spec import ConnectorSpec

SHALLOW_UNION: Final = (
    "B3: _codec.decode_union picks a union member by top-level keys only. Box get_search "
    "answered {'entries': [{'type': 'search_result', 'accessible_via_shared_link': ...}]}, "
    "valid only under SearchResultsWithSharedLinks, decodes as SearchResults (the first "
    "member, same score), whose entries stay raw dicts (no File | Folder | WebLink matches)."
)
EMPTY_ITEM_BODY: Final = (
    "B6: BaseDataService.get_item_metadata parses the get response with response.json(), "
    "so a 200 without a body, which Trello's spec allows (its responses declare no "
    "content), raises a bare json.JSONDecodeError instead of a ConnectorError or a "
    "result; the generated methods read the same answer as None (_codec.json_body). "
    "Trello get_item_metadata('c1', resource='checklists', token='t')."
)
GITLAB_LISTS: Final = (
    "S1: GitLab's trimmed spec declares a single object as the response of every list "
    "operation (GET /v3/projects -> BasicProjectDetails, /v3/users -> UserBasic, ...), "
    "while connector.yaml (items_path: null), like the real API, expects a JSON array: "
    "list_items raises PaginationError on every spec-conforming answer (and the typed "
    "methods return one model where the API sends a list)."
)
NOTION_CURSOR: Final = (
    "S2: connector.yaml pages Notion's blocks and comments with a start_cursor query "
    "parameter (cursor_in_body, cursor_param: start_cursor) that the trimmed spec does not "
    "declare for GET /v1/blocks/{id}/children and GET /v1/comments (only page_size)."
)

# Listings that cannot meet the spec, per (connector, resource).
LISTING_MISMATCHES: Final[Mapping[tuple[str, str], str]] = {
    **{
        ("gitlab", name): GITLAB_LISTS
        for name in ("projects", "issues", "merge_requests", "pipelines", "groups", "users")
    },
    ("notion", "blocks"): NOTION_CURSOR,
    ("notion", "comments"): NOTION_CURSOR,
}

# Response bodies the general run does not send, per (connector, operation name).
# Response bodies the general run does not send, per (connector, operation name): none
# left since B3 was fixed; an entry names its bug and a predicate on the body.
_RESPONSE_AVOID: Final[Mapping[tuple[str, str], tuple[str, Callable[[Any], bool]]]] = {}


def response_filter(spec: ConnectorSpec, operation_id: str) -> Callable[[Any], bool] | None:
    for info in spec.operations:
        if info.operation_id == operation_id:
            found = _RESPONSE_AVOID.get((spec.name, info.name))
            return None if found is None else found[1]
    return None
