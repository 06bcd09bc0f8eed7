"""GitHub JSON shapes, built key by key from GitHub's own examples (emulators/github/templates/).

Each object takes every key of the official example, in its order, and must fill every one of them
(a forgotten key raises instead of leaking an example's octocat value); keys that real responses
carry beyond the example (reactions, timeline_url, ...) follow. Body URLs use api.github.com and
github.com like the real service, so the same model renders the same bytes on any port.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from emulators.github.model import (
    Issue,
    IssueEvent,
    Label,
    Milestone,
    PullRequest,
    Release,
    ReleaseAsset,
    Repo,
    User,
)
from emulators.shapes import shaped, templates_in

API = "https://api.github.com"
WEB = "https://github.com"
TEMPLATES = Path(__file__).parent / "templates"
EXAMPLE_REPO = "octocat/Hello-World"

MilestoneCounts = dict[int, tuple[int, int]]
# What GitHub shows for a repository whose LICENSE file matches no known license.
PROPRIETARY = {
    "key": "other",
    "name": "Other",
    "spdx_id": "NOASSERTION",
    "url": None,
    "node_id": "MDc6TGljZW5zZTA=",
    "html_url": None,
}


template = templates_in(TEMPLATES)


def _issue_example() -> dict[str, Any]:
    return template("list_repo_issues")[0]


@cache
def _plain_issue_example() -> dict[str, Any]:
    """The issue example without `pull_request`: that key is what marks an item as a pull request."""
    return {key: value for key, value in _issue_example().items() if key != "pull_request"}


def _pull_example() -> dict[str, Any]:
    return template("list_pull_requests")[0]


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, number: int) -> str:
    """GitHub's legacy global node id: base64 of "0<len(kind)>:<Kind><id>" ("MDU6SXNzdWUx" = Issue 1)."""
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


@cache
def _user_cached(login: str, user_id: int, kind: str, site_admin: bool) -> dict[str, Any]:
    api = f"{API}/users/{login}"
    return shaped(
        _issue_example()["user"],
        {
            "login": login,
            "id": user_id,
            "node_id": node_id(kind, user_id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{WEB}/{login}" if kind != "Bot" else f"{WEB}/apps/{login.removesuffix('[bot]')}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": kind,
            "site_admin": site_admin,
            "user_view_type": "public",
        },
    )


def user(value: User | None) -> dict[str, Any] | None:
    if value is None:
        return None
    # Cached per user: the same few people appear thousands of times; callers must not mutate it.
    return _user_cached(value.login, value.id, value.type, value.site_admin)


def label(repo: Repo, value: Label) -> dict[str, Any]:
    return shaped(
        _issue_example()["labels"][0],
        {
            "id": value.id,
            "node_id": node_id("Label", value.id),
            "url": f"{API}/repos/{repo.full_name}/labels/{quote(value.name)}",
            "name": value.name,
            "description": value.description,
            "color": value.color,
            "default": value.default,
        },
    )


def milestone(repo: Repo, value: Milestone, counts: MilestoneCounts) -> dict[str, Any]:
    api = f"{API}/repos/{repo.full_name}/milestones/{value.number}"
    open_issues, closed_issues = counts.get(value.number, (0, 0))
    return shaped(
        template("list_milestones")[0],
        {
            "url": api,
            "html_url": f"{WEB}/{repo.full_name}/milestone/{value.number}",
            "labels_url": f"{api}/labels",
            "id": value.id,
            "node_id": node_id("Milestone", value.id),
            "number": value.number,
            "state": value.state,
            "title": value.title,
            "description": value.description,
            "creator": user(value.creator),
            "open_issues": open_issues,
            "closed_issues": closed_issues,
            "created_at": timestamp(value.created_at),
            "updated_at": timestamp(value.updated_at),
            "closed_at": timestamp(value.closed_at),
            "due_on": timestamp(value.due_on),
        },
    )


def _reactions(url: str) -> dict[str, Any]:
    counts = dict.fromkeys(("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0)
    return {"url": f"{url}/reactions", "total_count": 0, **counts}


def issue(repo: Repo, value: Issue, counts: MilestoneCounts) -> dict[str, Any]:
    """An item of /issues: an issue, or a pull request's issue half (then with `pull_request`)."""
    api = f"{API}/repos/{repo.full_name}/issues/{value.number}"
    pull = value.pull
    values: dict[str, Any] = {
        "id": value.id,
        "node_id": node_id("Issue" if pull is None else "PullRequest", value.id),
        "url": api,
        "repository_url": f"{API}/repos/{repo.full_name}",
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": f"{WEB}/{repo.full_name}/{'issues' if pull is None else 'pull'}/{value.number}",
        "number": value.number,
        "state": value.state,
        "title": value.title,
        "body": value.body,
        "user": user(value.user),
        "pinned_comment": None,
        "labels": [label(repo, item) for item in value.labels],
        "assignee": user(value.assignees[0]) if value.assignees else None,
        "assignees": [user(item) for item in value.assignees],
        "milestone": None if value.milestone is None else milestone(repo, value.milestone, counts),
        "locked": False,
        "active_lock_reason": None,
        "comments": value.comments,
        "closed_at": timestamp(value.closed_at),
        "created_at": timestamp(value.created_at),
        "updated_at": timestamp(value.updated_at),
        "closed_by": user(value.closed_by),
        "author_association": value.author_association,
        "state_reason": value.state_reason,
        "reactions": _reactions(api),
        "timeline_url": f"{api}/timeline",
        "performed_via_github_app": None,
    }
    if pull is None:
        return shaped(_plain_issue_example(), values)
    pulls = f"{WEB}/{repo.full_name}/pull/{value.number}"
    values["draft"] = pull.draft
    values["pull_request"] = {
        "url": f"{API}/repos/{repo.full_name}/pulls/{value.number}",
        "html_url": pulls,
        "diff_url": f"{pulls}.diff",
        "patch_url": f"{pulls}.patch",
        "merged_at": timestamp(pull.merged_at),
    }
    return shaped(_issue_example(), values)


def event(repo: Repo, value: IssueEvent, counts: MilestoneCounts) -> dict[str, Any]:
    """An item of /issues/events, embedding the issue as it is now (as GitHub does)."""
    values: dict[str, Any] = {
        "id": value.id,
        "node_id": node_id("IssueEvent", value.id),
        "url": f"{API}/repos/{repo.full_name}/issues/events/{value.id}",
        "actor": user(value.actor),
        "event": value.event,
        "commit_id": value.commit_id,
        "commit_url": value.commit_id and f"{API}/repos/{repo.full_name}/commits/{value.commit_id}",
        "created_at": timestamp(value.created_at),
        "issue": issue(repo, value.issue, counts),
        "performed_via_github_app": None,
    }
    if value.event == "closed":
        values["state_reason"] = value.state_reason
    if value.label is not None:
        values["label"] = {"name": value.label.name, "color": value.label.color}
    if value.milestone_title is not None:
        values["milestone"] = {"title": value.milestone_title}
    if value.assignee is not None:
        values["assignee"] = user(value.assignee)
        values["assigner"] = user(value.assigner)
    if value.rename is not None:
        values["rename"] = {"from": value.rename[0], "to": value.rename[1]}
    return shaped(template("list_repo_issue_events")[0], values)


def repository(repo: Repo) -> dict[str, Any]:
    """The full repository object (as in a pull request's head and base, and GET /repos/{o}/{r})."""
    return repo.derived("repository", lambda: _repository(repo))


def _repository(repo: Repo) -> dict[str, Any]:
    example = _pull_example()["head"]["repo"]
    open_items = sum(item.state == "open" for item in repo.issues.values())
    newest = _newest_merge(repo)
    pushed_at = repo.created_at if newest is None else newest.merged_at
    urls = {
        key: text.replace(EXAMPLE_REPO, repo.full_name)
        for key, text in example.items()
        if isinstance(text, str) and EXAMPLE_REPO in text
    }
    return shaped(
        example,
        {
            **urls,
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "owner": user(repo.owner),
            "private": True,
            "description": repo.description,
            "fork": False,
            "git_url": f"git://github.com/{repo.full_name}.git",
            "mirror_url": None,
            "homepage": None,
            "language": None,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "size": 2048,
            "default_branch": repo.default_branch,
            "open_issues_count": open_items,
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "archived": False,
            "disabled": False,
            "visibility": "private",
            "pushed_at": timestamp(pushed_at),
            "created_at": timestamp(repo.created_at),
            "updated_at": timestamp(pushed_at),
            "permissions": shaped(example["permissions"], {"admin": False, "push": True, "pull": True}),
            "allow_rebase_merge": True,
            "template_repository": None,
            "temp_clone_token": "",
            "allow_squash_merge": True,
            "allow_auto_merge": False,
            "delete_branch_on_merge": True,
            "allow_merge_commit": True,
            "subscribers_count": 0,
            "network_count": 0,
            "license": shaped(example["license"], PROPRIETARY),
            "forks": 0,
            "open_issues": open_items,
            "watchers": 0,
        },
    )


def pull_request(repo: Repo, value: Issue, counts: MilestoneCounts) -> dict[str, Any]:
    """An item of /pulls (the pull-request-simple shape) for a pull request's issue."""
    pull = value.pull
    if pull is None:
        raise ValueError(f"#{value.number} is an issue, not a pull request")
    api = f"{API}/repos/{repo.full_name}"
    this = f"{api}/pulls/{value.number}"
    html = f"{WEB}/{repo.full_name}/pull/{value.number}"
    statuses = f"{api}/statuses/{pull.head_sha}"
    example = _pull_example()
    repo_object = repository(repo)
    newest = _newest_merge(repo)
    base_sha = "0" * 40 if newest is None else newest.merge_commit_sha

    def branch(ref: str, sha: str) -> dict[str, Any]:
        return shaped(
            example["head"],
            {
                "label": f"{repo.owner.login}:{ref}",
                "ref": ref,
                "sha": sha,
                "user": user(repo.owner),
                "repo": repo_object,
            },
        )

    links = {
        "self": this,
        "html": html,
        "issue": f"{api}/issues/{value.number}",
        "comments": f"{api}/issues/{value.number}/comments",
        "review_comments": f"{this}/comments",
        "review_comment": f"{api}/pulls/comments{{/number}}",
        "commits": f"{this}/commits",
        "statuses": statuses,
    }
    return shaped(
        example,
        {
            "url": this,
            "id": pull.id,
            "node_id": node_id("PullRequest", pull.id),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": f"{api}/issues/{value.number}",
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "comments_url": links["comments"],
            "statuses_url": statuses,
            "number": value.number,
            "state": value.state,
            "locked": False,
            "title": value.title,
            "user": user(value.user),
            "body": value.body,
            "labels": [label(repo, item) for item in value.labels],
            "milestone": None if value.milestone is None else milestone(repo, value.milestone, counts),
            "active_lock_reason": None,
            "created_at": timestamp(value.created_at),
            "updated_at": timestamp(value.updated_at),
            "closed_at": timestamp(value.closed_at),
            "merged_at": timestamp(pull.merged_at),
            "merge_commit_sha": pull.merge_commit_sha,
            "assignee": user(value.assignees[0]) if value.assignees else None,
            "assignees": [user(item) for item in value.assignees],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": branch(pull.head_ref, pull.head_sha),
            "base": branch(pull.base_ref, base_sha),
            "_links": shaped(example["_links"], {rel: {"href": href} for rel, href in links.items()}),
            "author_association": value.author_association,
            "auto_merge": None,
            "draft": pull.draft,
        },
    )


def _newest_merge(repo: Repo) -> PullRequest | None:
    """The last merged pull request: its merge commit is the default branch's tip and last push."""
    return repo.derived(
        "newest_merge",
        lambda: max(
            (item.pull for item in repo.issues.values() if item.pull is not None and item.pull.merged_at),
            key=lambda pull: (pull.merged_at, pull.id),
            default=None,
        ),
    )


def _asset(repo: Repo, release: Release, value: ReleaseAsset) -> dict[str, Any]:
    return shaped(
        template("list_releases")[0]["assets"][0],
        {
            "url": f"{API}/repos/{repo.full_name}/releases/assets/{value.id}",
            "browser_download_url": f"{WEB}/{repo.full_name}/releases/download/{release.tag_name}/{value.name}",
            "id": value.id,
            "node_id": node_id("ReleaseAsset", value.id),
            "name": value.name,
            "label": None,
            "state": "uploaded",
            "content_type": value.content_type,
            "size": value.size,
            "digest": f"sha256:{hashlib.sha256(value.name.encode()).hexdigest()}",
            "download_count": value.download_count,
            "created_at": timestamp(value.created_at),
            "updated_at": timestamp(value.created_at),
            "uploader": user(value.uploader),
        },
    )


def release(repo: Repo, value: Release) -> dict[str, Any]:
    api = f"{API}/repos/{repo.full_name}"
    return shaped(
        template("list_releases")[0],
        {
            "url": f"{api}/releases/{value.id}",
            "html_url": f"{WEB}/{repo.full_name}/releases/tag/{value.tag_name}",
            "assets_url": f"{api}/releases/{value.id}/assets",
            "upload_url": f"https://uploads.github.com/repos/{repo.full_name}/releases/{value.id}/assets{{?name,label}}",
            "tarball_url": f"{api}/tarball/{value.tag_name}",
            "zipball_url": f"{api}/zipball/{value.tag_name}",
            "id": value.id,
            "node_id": node_id("Release", value.id),
            "tag_name": value.tag_name,
            "target_commitish": value.target_commitish,
            "name": value.name,
            "body": value.body,
            "draft": False,
            "prerelease": value.prerelease,
            "immutable": False,
            "created_at": timestamp(value.created_at),
            "published_at": timestamp(value.published_at),
            "author": user(value.author),
            "assets": [_asset(repo, value, item) for item in value.assets],
        },
    )


def rate_limit(core: dict[str, int]) -> dict[str, Any]:
    """GET /rate_limit: the caller's real core budget; the other resources as the example has them."""
    example = template("rate_limit")
    resources = {**example["resources"], "core": core}
    return shaped(example, {"resources": shaped(example["resources"], resources), "rate": core})
