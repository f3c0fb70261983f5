"""The public API as a user writes it, checked by strict mypy (CI's `mypy` covers tests/).

Not a test module pytest runs: it is type-checked only. Every `assert_type` pins a type a
user relies on (a regression to `Any` fails, since `assert_type` is exact), and each
`# type: ignore[...]` marks a call that must stay an error (strict mypy reports an ignore
that is no longer needed).
"""

from __future__ import annotations

import logging
from typing import Any, assert_type

import httpx

from connectory.connectors.github import REGISTRATION as GITHUB
from connectory.connectors.github import GitHubConnector
from connectory.connectors.github.models import (
    FullRepository,
    Issue,
    MinimalRepository,
    WebhookIssuesClosed,
    WebhookIssuesOpened,
    WebhookPing,
    WebhookPush,
)
from connectory.connectors.github.webhooks import WebhookEvent
from connectory.connectors.google_tasks import GoogleTasksConnector
from connectory.connectors.google_tasks.models import Task
from connectory.connectors.hubspot import HubSpotConnector
from connectory.connectors.hubspot.models import Contact
from connectory.connectors.slack import CONFIG as SLACK_CONFIG
from connectory.connectors.slack import SlackConnector
from connectory.connectors.stripe import StripeConnector
from connectory.connectors.stripe.models import Event
from connectory.core import (
    AsyncPager,
    BaseConnectorService,
    BatchResult,
    ChangePage,
    Changes,
    Checkpoint,
    ConnectorBuilder,
    ConnectorError,
    ConnectorManager,
    ConnectorType,
    Deviation,
    FileCheckpointStore,
    IncrementalSync,
    Page,
    RawResponse,
    SyncPager,
    UniversalConnectorFactory,
    deviations,
)
from connectory.core.webhooks import ConnectorWebhooks, UnknownWebhookEvent


def answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={})


async def direct_construction() -> None:
    github = GitHubConnector(access_token="ghp_example", transport=httpx.MockTransport(answer))
    assert_type(github, GitHubConnector)

    repo = await github.repos.get("octocat", "hello-world")
    assert_type(repo, FullRepository)
    assert_type(repo.full_name, str)
    assert_type(deviations(repo), tuple[Deviation, ...])

    # per-call options on every operation
    await github.repos.get(
        "octocat",
        "hello-world",
        timeout=5.0,
        extra_headers={"X-Trace": "1"},
        extra_query={"x": 1},
        idempotency_key="key-1",
        max_retries=0,
        strict=True,
    )
    await github.repos.get("octocat", "hello-world", timeot=5)  # type: ignore[call-arg]

    # the raw response, without losing the typed result
    raw = await github.repos.get.raw("octocat", "hello-world")
    assert_type(raw, RawResponse[FullRepository])
    assert_type(raw.parsed, FullRepository)
    assert_type(raw.status_code, int)
    assert_type(raw.http_response, httpx.Response)

    # typed pagers: every page, the pages, the first page
    pager = github.repos.list_for_org("acme", per_page=50, max_items=200)
    assert_type(pager, AsyncPager[MinimalRepository])
    async for repository in pager:
        assert_type(repository, MinimalRepository)
    async for page in pager.pages():
        assert_type(page, Page[MinimalRepository])
        assert_type(page.items, list[MinimalRepository])
    first = await pager.first_page()
    assert_type(first.response, httpx.Response)
    assert_type(await pager.to_list(), list[MinimalRepository])

    # the escape hatch, typed when told what comes back
    anything = await github.request("GET", "/rate_limit")
    assert_type(anything, Any)
    typed = await github.request(
        "GET",
        "/repos/{owner}/{repo}",
        path_params={"owner": "o", "repo": "r"},
        cast_to=FullRepository,
    )
    assert_type(typed, FullRepository)
    response = await github.request("GET", "/zen", cast_to=httpx.Response)
    assert_type(response, httpx.Response)

    # the seed's data service, typed where the resource's model is known
    issues = await github.data_service.list_items("/issues", owner="o", repo="r")
    assert_type(issues, list[Issue])
    async for issue in github.data_service.iter_items("/issues", owner="o", repo="r"):
        assert_type(issue, Issue)
    one = await github.data_service.get_item_metadata("7", "issues", owner="o", repo="r")
    assert_type(one, Issue | None)
    dicts = await github.data_service.list_items("/issues", raw=True, owner="o", repo="r")
    assert_type(dicts, list[Any])
    await github.close()


def blocking_twins() -> None:
    with GitHubConnector(access_token="ghp_example") as github:
        assert_type(github, GitHubConnector)
        assert_type(github.repos.get_sync("octocat", "hello-world"), FullRepository)
        raw = github.repos.get_sync.raw("octocat", "hello-world")
        assert_type(raw, RawResponse[FullRepository])
        pager = github.repos.list_for_org_sync("acme")
        assert_type(pager, SyncPager[MinimalRepository])
        for repository in pager:
            assert_type(repository, MinimalRepository)
        assert_type(pager.first_page(), Page[MinimalRepository])


async def factory_builder_manager(logger: logging.Logger) -> None:
    factory = UniversalConnectorFactory(logger)
    # naming the class or its typed registration gives the precise type back
    assert_type(factory.create_connector(GitHubConnector), GitHubConnector)
    assert_type(factory.create_connector(GITHUB), GitHubConnector)
    # the seed's form still works, with the base type
    slack = factory.create_connector(ConnectorType.SLACK, SLACK_CONFIG)
    assert_type(slack, BaseConnectorService)
    assert_type(factory.create_connector("slack"), BaseConnectorService)

    built = (
        ConnectorBuilder(factory)
        .for_connector_type(SlackConnector)
        .with_config(SLACK_CONFIG)
        .with_transport(httpx.MockTransport(answer))
        .build()
    )
    assert_type(built, SlackConnector)
    seed_built = ConnectorBuilder(factory).for_connector_type(ConnectorType.SLACK).build()
    assert_type(seed_built, BaseConnectorService)

    async with ConnectorManager(factory) as manager:
        github = await manager.create_and_connect(GitHubConnector, {"access_token": "ghp_x"})
        assert_type(github, GitHubConnector)
        assert_type(await github.issues.get("o", "r", 7), Issue)
        seeded = await manager.create_and_connect(ConnectorType.SLACK, {"bot_token": "xoxb"})
        assert_type(seeded, BaseConnectorService)
        assert_type(manager.get_active_connectors(), list[BaseConnectorService])


async def seed_usage_examples(logger: logging.Logger) -> None:
    """The design's own examples, as written there."""
    factory = UniversalConnectorFactory(logger)
    connector = factory.create_connector(ConnectorType.GOOGLE_DRIVE)
    credentials = {
        "access_token": "your_token",
        "refresh_token": "your_refresh_token",
        "client_id": "your_client_id",
        "client_secret": "your_client_secret",
    }
    if await connector.connect(credentials):
        items = await connector.data_service.list_items()
        print(f"Found {len(items)} items")
    health_status = await connector.monitoring_service.get_health_status()
    assert_type(health_status, dict[str, Any])
    async with connector.rate_limiter.acquire_permission("operation"):
        pass
    connector.monitoring_service.record_metric("api_calls", 1, {"connector": "google_drive"})


async def batch_reads_and_incremental_sync() -> None:
    hubspot = HubSpotConnector(private_app_token="pat-example")
    results = await hubspot.data_service.batch_get_metadata(["1", "2"], "contacts", concurrency=4)
    assert_type(results, list[BatchResult[Contact]])
    for result in results:
        assert_type(result.ok, bool)
        assert_type(result.value, Contact)
        assert_type(result.error, ConnectorError | None)
        assert_type(result.value_or(None), Contact | None)
    loose = await hubspot.data_service.batch_get_metadata(["1"], "contacts", raw=True)
    assert_type(loose, list[BatchResult[Any]])
    blocking = hubspot.data_service.batch_get_metadata_sync(["1"], "contacts")
    assert_type(blocking, list[BatchResult[Any]])

    tasks = GoogleTasksConnector(access_token="ya29.example")
    data = tasks.data_service
    changes = data.changes("/tasks", since=None, tasklist="@default")
    assert_type(changes, Changes[Task])
    async for task in changes:
        assert_type(task, Task)
    assert_type(changes.checkpoint, Checkpoint)
    again = data.changes("/tasks", since=changes.checkpoint, tasklist="@default")
    async for page in again.pages():
        assert_type(page, ChangePage[Task])
        assert_type(page.items, list[Task])
        assert_type(page.checkpoint, Checkpoint)

    store = FileCheckpointStore("/var/lib/app/checkpoints")
    sync = data.sync("/tasks", key="default-list", store=store, tasklist="@default")
    assert_type(sync, IncrementalSync[Task])
    async with sync:
        async for task in sync:
            assert_type(task, Task)
        async for page in sync.pages():
            assert_type(page.items, list[Task])
            assert_type(await sync.commit(), Checkpoint)
    assert_type(sync.committed, Checkpoint | None)
    assert_type(sync.pending.sequence, int)
    with data.sync("/tasks", store="file:///var/lib/app", tasklist="@default") as blocking_sync:
        for task in blocking_sync:
            assert_type(task, Task)
        blocking_sync.commit_sync()
    await tasks.close()
    await hubspot.close()


def webhooks(headers: dict[str, str], body: bytes) -> None:
    github = GitHubConnector(access_token="ghp_example", webhook_secret="gh-webhook-secret")
    assert_type(github.webhooks, ConnectorWebhooks[WebhookEvent])
    event = github.webhooks.unwrap(headers, body)
    assert_type(
        event,
        WebhookPing | WebhookPush | WebhookIssuesOpened | WebhookIssuesClosed | UnknownWebhookEvent,
    )
    if isinstance(event, WebhookPush):
        assert_type(event.ref, str)
    elif isinstance(event, UnknownWebhookEvent):
        assert_type(event.event, str | None)
        assert_type(event.data, Any)
    assert_type(github.webhooks.verify(headers, body), None)

    stripe = StripeConnector(secret_key="sk_test_example", webhook_secret="whsec_example")
    assert_type(stripe.webhooks.unwrap(headers, body, now=1.0), Event)

    slack = SlackConnector(bot_token="xoxb-example", webhook_secret="slack-signing-secret")
    assert_type(slack.webhooks, ConnectorWebhooks[Any])
    assert_type(slack.webhooks.unwrap(headers, body), Any)
    SlackConnector(webhook_secret=42)  # type: ignore[arg-type]
