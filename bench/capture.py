"""The SQL each endpoint runs, captured in-process; and the clean-up of the rows a benchmark run wrote.

Runs in its own process with the server's settings and database (never inside the load generator):

    python -m bench.capture capture SPEC.json OUT.json   # SPEC: users and endpoints (see bench.run)
    python -m bench.capture cleanup MARK                 # delete the applications whose purpose is MARK

Each endpoint is requested once through django.test.Client as the same user, the same way (session cookie
for pages, token for the API), to warm per-process caches, then `instances` more times inside
CaptureQueriesContext. Django's psycopg 3 backend binds client-side, so each captured statement is the exact
text PostgreSQL received, parameters included. Writes need several instances (see bench.floors); an
accept takes the ids the captured submissions created.
"""

import json
import os
import sys


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinyidai.settings")
    import django

    django.setup()


def capture(spec: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    host = spec["host"]
    session_clients, token_clients = {}, {}
    for role, user in spec["users"].items():
        client = Client(HTTP_HOST=host, raise_request_exception=False)
        if not client.login(username=user["username"], password=user["password"]):
            raise SystemExit(f"capture: {user['username']} cannot log in")
        session_clients[role] = client
        token_clients[role] = Client(
            HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {user['token']}", raise_request_exception=False
        )
    anonymous = Client(HTTP_HOST=host, raise_request_exception=False)
    created: dict[str, list[int]] = {}
    out = {}
    for endpoint in spec["endpoints"]:
        auth = endpoint["auth"]
        client = {"session": session_clients, "token": token_clients}.get(auth, {}).get(endpoint["user"], anonymous)
        ids = created.get(endpoint.get("ids_from") or "", [])

        def request(n: int, endpoint=endpoint, client=client, ids=ids):
            path = endpoint["path"].format(id=ids[n]) if "{id}" in endpoint["path"] else endpoint["path"]
            if endpoint["method"] == "GET":
                return client.get(path)
            body = json.dumps(endpoint["body"]) if endpoint.get("body") is not None else ""
            return client.generic(endpoint["method"], path, body, content_type="application/json")

        instances, statuses, db_ms, new_ids = [], [], [], []
        for n in range(endpoint["instances"] + 1):  # the first request only warms caches
            if n == 0:
                response = request(n)
            else:
                with CaptureQueriesContext(connection) as ctx:
                    response = request(n)
                instances.append([q["sql"] for q in ctx.captured_queries])
                db_ms.append(round(sum(float(q["time"]) for q in ctx.captured_queries) * 1000, 3))
            statuses.append(response.status_code)
            if endpoint.get("collect_ids") and response.status_code == 201:
                new_ids.append(response.json()["id"])
        if new_ids:
            created[endpoint["name"]] = new_ids
        counts = sorted({len(statements) for statements in instances})
        out[endpoint["name"]] = {
            "path": endpoint["path"],
            "statuses": statuses,
            "query_count": counts[-1],
            "query_counts_seen": counts,
            "db_time_ms": db_ms,
            "instances": instances,
            "missing_sql": sum(1 for s in instances for sql in s if sql is None),
        }
    return out


def cleanup(mark: str) -> dict:
    """Delete the applications a run submitted (their purpose is `mark`), their events and their consents."""
    from django.db import transaction

    from creditinfo.models import Authorization
    from lending.models import Application

    with transaction.atomic():
        applications = Application.objects.filter(purpose=mark)
        authorization_ids = list(applications.values_list("authorization_id", flat=True))
        deleted_applications = applications.count()
        applications.delete()  # events and decisions cascade
        orphaned = Authorization.objects.filter(pk__in=authorization_ids, applications__isnull=True)
        deleted_authorizations, _ = orphaned.delete()
    return {"applications": deleted_applications, "authorizations": deleted_authorizations}


def main(argv: list[str]) -> int:
    _setup()
    if argv[:1] == ["capture"] and len(argv) == 3:
        with open(argv[1]) as f:
            spec = json.load(f)
        result = capture(spec)
        with open(argv[2], "w") as f:
            json.dump(result, f)
        return 0
    if argv[:1] == ["cleanup"] and len(argv) == 2:
        print(json.dumps(cleanup(argv[1])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
