"""The access-control matrix: every URL name of the URL conf (pages, the API router, the admin as one class) mapped
to how to build its arguments from the victim's objects (tests/security/conftest.py: World), which methods to
send, and which attackers may legitimately get an answer, with the reason.

Semantics (tests/security/test_access_matrix.py):
- every attacker not in `sees` is refused: 401/403/404 (anonymous on a page: a redirect to the login page), the
  body holds none of the victim's identifying strings, and a refused POST writes nothing;
- an attacker in `sees` gets a 2xx/3xx answer that holds only the marker groups listed for it (IDENTITY, CREDIT,
  LOAN); for a POST its request is still sent (on its own data) and the victim's objects must stay as they were,
  unless the attacker is in `acts`: it may legitimately act on the victim's object (its own institution's
  application, say), so that POST is not sent;
- a `public` URL answers anyone; its reason says why, and its body still may not leak more than `public_sees`.

A new URL without an entry here fails test_every_url_has_an_entry: add it to this file.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

ANON = "anonymous"
SME = "sme_other"  # the SME user of a Zhengzhou enterprise
OFFICER = "officer_other"  # an officer of another bank's Zhengzhou branch
NO_CONSENT = "officer_no_consent"  # an officer of the victim's own branch, whose authorizations are all revoked
STAFF = "staff_other_city"  # Zhengzhou city staff
ATTACKERS = (ANON, SME, OFFICER, NO_CONSENT, STAFF)
LOGGED_IN = (SME, OFFICER, NO_CONSENT, STAFF)

IDENTITY = "identity"  # the victim enterprise's name and USCC
CREDIT = "credit"  # its credit records' titles and details
LOAN = "loan"  # its loan's contract number and amount
NOTHING: frozenset = frozenset()


def own(*attackers: str) -> dict[str, frozenset]:
    """`attackers` get an answer about their own data only: none of the victim's markers."""
    return dict.fromkeys(attackers, NOTHING)


# What the officer of the victim's own branch legitimately sees of its institution's business with the victim: the
# applicant's name and USCC (the application names it), and for its loan the contract and amount; never the credit
# records (that needs a live authorization).
BRANCH_SEES = frozenset({IDENTITY})
BRANCH_LOAN = frozenset({IDENTITY, LOAN})


@dataclass(frozen=True)
class Entry:
    kwargs: Callable | None = None  # World -> URL kwargs
    methods: tuple[str, ...] = ("GET",)
    sees: dict[str, frozenset] = field(default_factory=dict)
    acts: frozenset = frozenset()
    public: str = ""
    public_sees: frozenset = frozenset()
    query: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)  # request headers (WSGI names)
    label: str = ""
    why: str = ""


def pk(attr: str, key: str = "pk") -> Callable:
    """kwargs {key: world.<attr>.pk}."""
    return lambda world: {key: getattr(world, attr).pk}


def public(reason: str, methods=("GET",), sees_groups: frozenset = frozenset(), **kw) -> Entry:
    return Entry(methods=methods, public=reason, public_sees=sees_groups, **kw)


ADMIN_URLS = "admin:*"  # the admin is one class, checked by test_admin_is_closed_to_attackers

_BRANCH_ACTS = frozenset({NO_CONSENT})
_OWN_PRODUCT = "its own institution's product"
_OWN_CLAIM = "its own institution's claim on the victim's demand"
_OWN_APPLICATION = "its own institution's application: the applicant's name, never its credit records"
_OWN_LOAN = "its own institution's loan: the borrower and the contract, never its credit records"
_OWN_INTENT = "an intent with its own institution"
_BANK_REPORT = "the branch requested the report while its consent was live: it may see that the report exists"
_LUOYANG = {"region": "410300"}


def _application_actions(prefix: str) -> dict[str, Entry]:
    """The lifecycle buttons of one application, as pages (`lending:application_`) or API (`api-application-`):
    the branch decides its own applications; only the applicant withdraws or declines."""
    decide = Entry(
        methods=("POST",),
        kwargs=pk("application"),
        sees=own(NO_CONSENT),
        acts=_BRANCH_ACTS,
        why="the institution's officer decides its own applications",
    )
    applicant = Entry(methods=("POST",), kwargs=pk("application"))
    return {
        **{f"{prefix}{action}": decide for action in ("accept", "approve", "reject", "disburse")},
        **{f"{prefix}{action}": applicant for action in ("withdraw", "decline")},
    }


MATRIX: dict[str, Entry | list[Entry]] = {
    # --- public: no login, or nothing but the reader's own state ---------------------------------------------
    "set_language": public("switches the interface language (a cookie); holds no data", methods=("POST",)),
    "api-schema": public("the OpenAPI description of the API; no data"),
    "api-docs": public("the interactive API docs page; no data"),
    "api-token": public("exchanges a username and password for a token (400 without them)", methods=("POST",)),
    "home": public("the landing page"),
    "healthz": public("the load balancer's health check"),
    "signup": public("an SME user signs up"),
    "login": public("the login page"),
    "logout": public("logs the client out", methods=("POST",)),
    "notification_badge": public("the reader's own unread count; anonymous gets 286 (htmx: stop polling)"),
    "creditinfo:verify_lookup": public("anyone holding a printed report types its code"),
    "creditinfo:verify": public(
        "the code printed on a report: anyone holding the report checks its number, enterprise name, issue date "
        "and hash (never its records)",
        sees_groups=frozenset({IDENTITY}),
        kwargs=lambda w: {"code": w.bank_report.verification_code},
    ),
    "lending:product_list": public("the product supermarket is public"),
    "lending:product_detail": public("a listed product is public", kwargs=pk("product")),
    "creditinfo:region_hint": Entry(sees=own(*LOGGED_IN), why="reference data (the region select) for a form"),
    # --- API: notifications (own only) ----------------------------------------------------------------------
    "api-notification-list": Entry(sees=own(*LOGGED_IN), why="each reader's own notifications"),
    "api-notification-read-all": Entry(
        methods=("POST",), sees=own(*LOGGED_IN), why="marks the reader's own notifications read, never another's"
    ),
    "api-notification-read": Entry(methods=("POST",), kwargs=pk("notification")),
    # --- API: enterprises, authorizations, credit information ----------------------------------------------
    "api-enterprise-mine": Entry(
        methods=("GET", "POST", "PATCH"), sees=own(SME), why="the SME user's own enterprise; other roles have none"
    ),
    "api-enterprise-detail": Entry(
        kwargs=pk("enterprise"),
        sees={NO_CONSENT: BRANCH_SEES},
        why="an officer sees the registration record of an enterprise that ever authorized its institution",
    ),
    "api-enterprise-credit-records": Entry(
        kwargs=pk("enterprise", "id"), why="detailed records need a live authorization: the branch's is revoked"
    ),
    "api-enterprise-evaluation": Entry(kwargs=pk("enterprise", "id"), why="needs a live authorization"),
    "api-query-log": Entry(sees=own(*LOGGED_IN), why="the SME's own query log; other roles get an empty list"),
    "api-authorization-list": [
        Entry(
            sees=own(SME, OFFICER, STAFF) | {NO_CONSENT: BRANCH_SEES},
            why="the SME's own; an officer its institution's (the branch's revoked ones name the victim); staff none",
        ),
        Entry(methods=("POST",), label="grant", sees=own(SME), why="an SME grants its own enterprise's consent"),
    ],
    "api-authorization-revoke": Entry(methods=("POST",), kwargs=pk("authorization")),
    "api-objection-list": [
        Entry(sees=own(*LOGGED_IN), why="the SME's own; staff their region's; officers none"),
        Entry(methods=("POST",), label="raise", why="only the enterprise disputes its own record"),
    ],
    "api-objection-detail": Entry(kwargs=pk("objection")),
    "api-objection-resolve": Entry(methods=("POST",), kwargs=pk("objection")),
    "api-repair-request-list": [
        Entry(sees=own(*LOGGED_IN), why="the SME's own; staff their region's; officers none"),
        Entry(methods=("POST",), label="request", why="only the enterprise asks to repair its own record"),
    ],
    "api-repair-request-detail": Entry(kwargs=pk("repair")),
    "api-repair-request-approve": Entry(methods=("POST",), kwargs=pk("repair")),
    "api-repair-request-reject": Entry(methods=("POST",), kwargs=pk("repair")),
    "api-credit-report-list": [
        Entry(
            sees=own(*LOGGED_IN) | {NO_CONSENT: BRANCH_SEES},
            why="the SME's own reports; an officer those its institution requested (the branch's names the victim); "
            "staff none",
        ),
        Entry(
            methods=("POST",),
            label="request",
            sees=own(SME),
            why="an SME requests its own enterprise's report; an officer naming the victim enterprise is refused for "
            "want of a live authorization",
        ),
    ],
    "api-credit-report-detail": [
        Entry(kwargs=pk("report"), label="sme_report"),
        Entry(
            kwargs=pk("bank_report"),
            label="bank_report",
            sees={NO_CONSENT: BRANCH_SEES},
            why="the branch requested it while its consent was live: it may see the report's record",
        ),
    ],
    "api-credit-report-download": Entry(
        kwargs=pk("bank_report"), why="downloading needs a live authorization, even for the requesting branch"
    ),
    # --- API: statistics (staff their region; head offices their bank) --------------------------------------
    **{
        f"api-stats-{name}": [
            Entry(sees=own(STAFF), why="staff see their own region's aggregates"),
            Entry(query=_LUOYANG, label="luoyang", why="another city's figures are outside a city's staff scope"),
        ]
        for name in ("summary", "kpis", "series")
    },
    "api-stats-breakdown": [
        Entry(kwargs=lambda w: {"dim": "bank"}, sees=own(STAFF), why="staff see their own region's aggregates"),
        Entry(kwargs=lambda w: {"dim": "bank"}, query=_LUOYANG, label="luoyang"),
    ],
    # --- API: products -----------------------------------------------------------------------------------------
    "api-product-list": Entry(
        methods=("GET", "POST"),
        sees=own(*LOGGED_IN),
        acts=frozenset({OFFICER, NO_CONSENT}),
        why="listed products are public to logged-in users; officers create products for their own institution",
    ),
    "api-product-detail": Entry(
        methods=("GET", "PATCH"),
        kwargs=pk("product"),
        sees=own(*LOGGED_IN),
        acts=_BRANCH_ACTS,
        why="a listed product is public; only its institution edits it",
    ),
    "api-product-relist": Entry(
        methods=("POST",), kwargs=pk("product"), sees=own(NO_CONSENT), acts=_BRANCH_ACTS, why=_OWN_PRODUCT
    ),
    "api-product-unlist": Entry(
        methods=("POST",), kwargs=pk("product"), sees=own(NO_CONSENT), acts=_BRANCH_ACTS, why=_OWN_PRODUCT
    ),
    "api-institution-product-list": Entry(sees=own(OFFICER, NO_CONSENT), why="officers: their institution's"),
    "api-product-match-demands": Entry(
        kwargs=pk("product"), sees={NO_CONSENT: BRANCH_SEES}, why="its own institution's product's matches"
    ),
    "api-product-match-enterprises": Entry(
        kwargs=pk("product"), sees={NO_CONSENT: BRANCH_SEES}, why="its own institution's product's matches"
    ),
    "api-recommendation-products": Entry(sees=own(SME), why="products ranked for the SME's own enterprise"),
    # --- API: demands and claims -------------------------------------------------------------------------------
    "api-demand-list": Entry(
        methods=("GET", "POST"),
        sees=own(*LOGGED_IN) | {NO_CONSENT: BRANCH_SEES},
        acts=frozenset({SME}),
        why="each role's own scope (the branch: its claim and its region's pool); an SME publishes its own demand",
    ),
    "api-demand-pool": Entry(
        sees=own(OFFICER) | {NO_CONSENT: BRANCH_SEES}, why="the open demands of the region the institution serves"
    ),
    "api-demand-detail": [
        Entry(kwargs=pk("demand"), label="open", sees={NO_CONSENT: BRANCH_SEES}, why="in its region's pool"),
        Entry(
            kwargs=lambda w: {"pk": w.claim.demand_id}, label="claimed", sees={NO_CONSENT: BRANCH_SEES}, why=_OWN_CLAIM
        ),
    ],
    "api-demand-claim": Entry(
        methods=("POST",), kwargs=pk("demand"), sees=own(NO_CONSENT), acts=_BRANCH_ACTS, why="its region's pool"
    ),
    "api-demand-close": Entry(methods=("POST",), kwargs=pk("demand"), why="only the enterprise closes its demand"),
    "api-claim-list": Entry(
        sees=own(*LOGGED_IN) | {NO_CONSENT: BRANCH_SEES},
        why="each role's own scope: the SME's demands' claims, the institution's, the staff's region's",
    ),
    "api-claim-release": Entry(
        methods=("POST",), kwargs=pk("claim"), sees=own(NO_CONSENT), acts=_BRANCH_ACTS, why=_OWN_CLAIM
    ),
    # --- API: applications and loans -------------------------------------------------------------------------
    "api-application-list": Entry(
        methods=("GET", "POST"),
        sees=own(*LOGGED_IN) | {NO_CONSENT: BRANCH_SEES | {LOAN}},
        acts=frozenset({SME}),
        why="each role's own scope; the branch's list holds the victim's application and the loan's",
    ),
    "api-application-detail": Entry(kwargs=pk("application"), sees={NO_CONSENT: BRANCH_SEES}, why=_OWN_APPLICATION),
    **_application_actions("api-application-"),
    "api-loan-list": Entry(sees=own(*LOGGED_IN) | {NO_CONSENT: BRANCH_LOAN}, why="each role's own scope"),
    "api-loan-detail": Entry(kwargs=pk("loan"), sees={NO_CONSENT: BRANCH_LOAN}, why=_OWN_LOAN),
    **{
        f"api-loan-{kind}-list": [
            *(
                [Entry(kwargs=pk("loan", "id"), label="history", sees={NO_CONSENT: BRANCH_LOAN}, why=_OWN_LOAN)]
                if kind in ("repayment", "balance")
                else []
            ),
            Entry(
                methods=("POST",),
                kwargs=pk("loan", "id"),
                sees=own(NO_CONSENT),
                acts=_BRANCH_ACTS,
                headers={"HTTP_IDEMPOTENCY_KEY": f"matrix-{kind}"},
                why="the lending institution reports on its own loan",
            ),
        ]
        for kind in ("repayment", "balance", "write-off", "close")
    },
    # --- API: first-loan outreach ----------------------------------------------------------------------------
    "api-outreach-lead-list": Entry(
        sees=own(OFFICER) | {NO_CONSENT: BRANCH_SEES}, why="leads of the region the institution serves"
    ),
    "api-outreach-lead-contacted": Entry(
        methods=("POST",), kwargs=pk("lead"), sees=own(NO_CONSENT), acts=_BRANCH_ACTS, why="a lead of its region"
    ),
    "api-outreach-candidates": [
        Entry(sees=own(STAFF), why="candidates of the staff's own region"),
        Entry(query=_LUOYANG, label="luoyang", why="another city is outside the staff's scope"),
    ],
    "api-outreach-push": Entry(
        methods=("POST",),
        sees=own(STAFF),
        why="staff push their own region's candidates; a push naming the victim creates no lead for it",
    ),
    # --- API: matchmaking events and intents ---------------------------------------------------------------
    "api-event-list": Entry(
        methods=("GET", "POST"),
        sees=own(*LOGGED_IN),
        why="events of each role's scope; staff create events of their own region only (a POST for the victim's "
        "city creates nothing)",
    ),
    "api-event-detail": Entry(kwargs=pk("event"), sees=own(NO_CONSENT), why="its institution takes part"),
    "api-event-participants": Entry(
        kwargs=pk("event"), sees={NO_CONSENT: BRANCH_SEES}, why="banks prepare for the firms they will meet"
    ),
    "api-event-funnel": Entry(kwargs=pk("event"), why="the organising region's staff only"),
    **{
        f"api-event-{action}": Entry(methods=("POST",), kwargs=pk("event"), why="the organising region's staff only")
        for action in ("attendance", "cancel", "held", "invite", "invite-by-criteria")
    },
    "api-event-register": Entry(methods=("POST",), kwargs=pk("event"), why="an invited or local SME only"),
    "api-event-decline": Entry(methods=("POST",), kwargs=pk("event"), why="an invited SME only"),
    "api-intent-list": Entry(
        methods=("GET", "POST"),
        sees=own(*LOGGED_IN) | {NO_CONSENT: BRANCH_SEES},
        acts=_BRANCH_ACTS,
        why="intents of each role's scope; the branch's intent names the victim",
    ),
    "api-intent-detail": Entry(kwargs=pk("intent"), sees={NO_CONSENT: BRANCH_SEES}, why=_OWN_INTENT),
    **{
        f"api-intent-{action}": Entry(
            methods=("POST",), kwargs=pk("intent"), sees=own(NO_CONSENT), acts=_BRANCH_ACTS, why="its own intent"
        )
        for action in ("applied", "contacted", "disbursed", "drop")
    },
    # --- pages: the audit trail (platform admins and province staff) -----------------------------------------
    "audit_list": Entry(why="platform admins and province staff only; a city's staff get 404"),
    "audit_export": Entry(why="platform admins and province staff only"),
    # --- pages: notifications ----------------------------------------------------------------------------------
    "notification_list": Entry(sees=own(*LOGGED_IN), why="the reader's own notifications"),
    "notifications_read_all": Entry(methods=("POST",), sees=own(*LOGGED_IN), why="the reader's own, never another's"),
    "notification_open": Entry(kwargs=pk("notification")),
    # --- pages: enterprise, authorizations, credit information ---------------------------------------------
    "creditinfo:enterprise_detail": Entry(sees=own(SME), why="the SME's own enterprise"),
    "creditinfo:enterprise_register": Entry(methods=("GET", "POST"), sees=own(SME), why="the SME's own enterprise"),
    "creditinfo:enterprise_edit": Entry(methods=("GET", "POST"), sees=own(SME), why="the SME's own enterprise"),
    "creditinfo:enterprise_view": Entry(
        kwargs=pk("enterprise"),
        sees={NO_CONSENT: BRANCH_SEES},
        why="an officer sees the registration record of an enterprise that ever authorized its institution",
    ),
    "creditinfo:authorization_list": Entry(
        sees=own(SME, OFFICER) | {NO_CONSENT: BRANCH_SEES}, why="the SME's own; an officer its institution's"
    ),
    "creditinfo:authorization_revoke": Entry(methods=("POST",), kwargs=pk("authorization")),
    "creditinfo:authorization_grant": Entry(methods=("GET", "POST"), sees=own(SME), why="the SME grants its own"),
    "creditinfo:profile": Entry(kwargs=pk("enterprise"), why="the credit profile needs a live authorization"),
    "creditinfo:my_profile": Entry(sees=own(SME), why="the SME's own profile"),
    "creditinfo:query_log": Entry(sees=own(SME), why="the SME's own query log"),
    "creditinfo:enterprise_objections": Entry(sees=own(SME), why="the SME's own objections"),
    "creditinfo:record_dispute": Entry(methods=("GET", "POST"), kwargs=pk("record")),
    "creditinfo:record_repair": Entry(methods=("GET", "POST"), kwargs=pk("record")),
    "creditinfo:objection_queue": Entry(sees=own(STAFF), why="staff: their region's objections"),
    "creditinfo:objection_detail": Entry(kwargs=pk("objection")),
    "creditinfo:objection_resolve": Entry(methods=("POST",), kwargs=pk("objection")),
    "creditinfo:objection_evidence": Entry(kwargs=pk("objection")),
    "creditinfo:repair_queue": Entry(sees=own(STAFF), why="staff: their region's repair requests"),
    "creditinfo:repair_detail": Entry(kwargs=pk("repair")),
    "creditinfo:repair_decide": Entry(methods=("POST",), kwargs=pk("repair")),
    "creditinfo:repair_evidence": Entry(kwargs=pk("repair")),
    "creditinfo:report_list": Entry(
        sees=own(SME, OFFICER) | {NO_CONSENT: BRANCH_SEES}, why="own reports; an officer its institution's requests"
    ),
    "creditinfo:report_request": Entry(
        methods=("POST",),
        sees=own(SME),
        why="an SME requests its own enterprise's report; an officer naming the victim enterprise is refused for "
        "want of a live authorization",
    ),
    "creditinfo:report_detail": [
        Entry(kwargs=pk("report"), label="sme_report"),
        Entry(kwargs=pk("bank_report"), label="bank_report", sees={NO_CONSENT: BRANCH_SEES}, why=_BANK_REPORT),
    ],
    "creditinfo:report_status": [
        Entry(kwargs=pk("report"), label="sme_report"),
        Entry(kwargs=pk("bank_report"), label="bank_report", sees={NO_CONSENT: BRANCH_SEES}, why=_BANK_REPORT),
    ],
    "creditinfo:report_download": Entry(
        kwargs=pk("bank_report"), why="downloading needs a live authorization, even for the requesting branch"
    ),
    "creditinfo:import_list": Entry(why="platform admins only"),
    "creditinfo:import_upload": Entry(methods=("GET", "POST"), why="platform admins only"),
    "creditinfo:import_detail": Entry(kwargs=pk("import_batch"), why="platform admins only"),
    "creditinfo:import_errors_csv": Entry(kwargs=pk("import_batch"), why="platform admins only"),
    # --- pages: products and matching ----------------------------------------------------------------------
    "lending:product_apply": Entry(
        methods=("GET", "POST"),
        kwargs=pk("product"),
        sees=own(SME),
        acts=frozenset({SME}),
        why="any SME applies to a listed product, for its own enterprise",
    ),
    "lending:officer_products": Entry(sees=own(OFFICER, NO_CONSENT), why="the institution's own products"),
    "lending:product_create": Entry(
        methods=("GET", "POST"),
        sees=own(OFFICER, NO_CONSENT),
        acts=frozenset({OFFICER, NO_CONSENT}),
        why="officers create products for their own institution",
    ),
    "lending:product_edit": Entry(
        methods=("GET", "POST"), kwargs=pk("product"), sees=own(NO_CONSENT), acts=_BRANCH_ACTS, why=_OWN_PRODUCT
    ),
    "lending:product_unlist": Entry(
        methods=("POST",), kwargs=pk("product"), sees=own(NO_CONSENT), acts=_BRANCH_ACTS, why=_OWN_PRODUCT
    ),
    "lending:product_relist": Entry(
        methods=("POST",), kwargs=pk("product"), sees=own(NO_CONSENT), acts=_BRANCH_ACTS, why=_OWN_PRODUCT
    ),
    "lending:recommendations": Entry(sees=own(SME), why="products ranked for the SME's own enterprise"),
    "lending:product_matches": Entry(
        kwargs=pk("product"), sees={NO_CONSENT: BRANCH_SEES}, why="its own institution's product's matches"
    ),
    # --- pages: demands and claims ------------------------------------------------------------------------------
    "lending:demand_list": Entry(sees=own(*LOGGED_IN) | {NO_CONSENT: BRANCH_SEES}, why="each role's own scope"),
    "lending:demand_create": Entry(
        methods=("GET", "POST"), sees=own(SME), acts=frozenset({SME}), why="an SME publishes its own demand"
    ),
    "lending:demand_detail": [
        Entry(kwargs=pk("demand"), label="open", sees={NO_CONSENT: BRANCH_SEES}, why="in its region's pool"),
        Entry(
            kwargs=lambda w: {"pk": w.claim.demand_id}, label="claimed", sees={NO_CONSENT: BRANCH_SEES}, why=_OWN_CLAIM
        ),
    ],
    "lending:demand_close": Entry(methods=("POST",), kwargs=pk("demand")),
    "lending:demand_claim": Entry(
        methods=("POST",), kwargs=pk("demand"), sees=own(NO_CONSENT), acts=_BRANCH_ACTS, why="its region's pool"
    ),
    "lending:demand_pool": Entry(
        sees=own(OFFICER) | {NO_CONSENT: BRANCH_SEES}, why="the region the institution serves"
    ),
    "lending:claim_list": Entry(sees=own(OFFICER) | {NO_CONSENT: BRANCH_SEES}, why="the institution's own claims"),
    "lending:claim_apply": Entry(methods=("GET", "POST"), kwargs=pk("claim"), why="only the claimed enterprise"),
    "lending:claim_release": Entry(
        methods=("POST",), kwargs=pk("claim"), sees=own(NO_CONSENT), acts=_BRANCH_ACTS, why=_OWN_CLAIM
    ),
    # --- pages: applications, loans, feedback ------------------------------------------------------------------
    "lending:application_list": Entry(
        sees=own(*LOGGED_IN) | {NO_CONSENT: BRANCH_SEES | {LOAN}}, why="each role's own scope"
    ),
    "lending:officer_inbox": Entry(sees=own(OFFICER) | {NO_CONSENT: BRANCH_SEES}, why="the institution's applications"),
    "lending:application_detail": Entry(kwargs=pk("application"), sees={NO_CONSENT: BRANCH_SEES}, why=_OWN_APPLICATION),
    **_application_actions("lending:application_"),
    "lending:loan_list": Entry(sees=own(*LOGGED_IN) | {NO_CONSENT: BRANCH_LOAN}, why="each role's own scope"),
    "lending:loan_detail": Entry(kwargs=pk("loan"), sees={NO_CONSENT: BRANCH_LOAN}, why=_OWN_LOAN),
    "lending:loan_feedback": Entry(kwargs=pk("loan"), sees={NO_CONSENT: BRANCH_LOAN}, why=_OWN_LOAN),
    "lending:loan_feedback_post": Entry(
        methods=("POST",),
        kwargs=lambda w: {"pk": w.loan.pk, "kind": "repayment"},
        sees=own(NO_CONSENT),
        acts=_BRANCH_ACTS,
        why="the lending institution reports on its own loan",
    ),
    "lending:feedback_batches": Entry(
        methods=("GET", "POST"),
        sees=own(OFFICER, NO_CONSENT),
        acts=frozenset({OFFICER, NO_CONSENT}),
        why="officers upload their own institution's feedback files",
    ),
    "lending:feedback_batch": Entry(kwargs=pk("feedback_batch"), sees=own(NO_CONSENT), why="its institution's"),
    "lending:feedback_batch_errors_csv": Entry(
        kwargs=pk("feedback_batch"), sees=own(NO_CONSENT), why="its own institution's feedback batch"
    ),
    # --- pages: government staff ---------------------------------------------------------------------------------
    "lending:target_list": Entry(sees=own(STAFF), why="staff: their region's targets"),
    "lending:target_add": Entry(
        methods=("GET", "POST"), sees=own(STAFF), why="staff set their own region's targets, never another city's"
    ),
    "lending:overdue": Entry(sees=own(STAFF), why="staff: their region"),
    "lending:overdue_export": Entry(sees=own(STAFF), why="staff: their region"),
    "lending:dashboard": [
        Entry(sees=own(STAFF), why="staff: their region's aggregates"),
        Entry(query=_LUOYANG, label="luoyang", why="another city is outside the staff's scope"),
    ],
    "lending:dashboard_pdf": [
        Entry(sees=own(STAFF), why="staff: their region's aggregates"),
        Entry(query=_LUOYANG, label="luoyang"),
    ],
    "lending:dashboard_export": [
        Entry(kwargs=lambda w: {"table": "bank", "fmt": "csv"}, sees=own(STAFF), why="staff: their region's"),
        Entry(kwargs=lambda w: {"table": "bank", "fmt": "csv"}, query=_LUOYANG, label="luoyang"),
    ],
    # --- pages: matchmaking events, intents, outreach ------------------------------------------------------------
    "lending:event_list": Entry(sees=own(*LOGGED_IN), why="events of each role's scope"),
    "lending:event_create": Entry(
        methods=("GET", "POST"), sees=own(STAFF), why="staff create events of their own region only"
    ),
    "lending:event_detail": Entry(kwargs=pk("event"), sees={NO_CONSENT: BRANCH_SEES}, why="its institution takes part"),
    "lending:event_edit": Entry(methods=("GET", "POST"), kwargs=pk("event"), why="the organising region's staff"),
    "lending:event_cancel": Entry(methods=("POST",), kwargs=pk("event")),
    "lending:event_held": Entry(methods=("POST",), kwargs=pk("event")),
    "lending:event_invite": Entry(methods=("GET", "POST"), kwargs=pk("event")),
    "lending:event_attendance": Entry(methods=("POST",), kwargs=pk("event")),
    "lending:event_register": Entry(methods=("POST",), kwargs=pk("event")),
    "lending:event_decline": Entry(methods=("POST",), kwargs=pk("event")),
    "lending:event_intent_add": Entry(
        methods=("GET", "POST"),
        kwargs=pk("event"),
        sees=own(NO_CONSENT),
        acts=_BRANCH_ACTS,
        why="a participating bank records its intents",
    ),
    "lending:event_participants_csv": Entry(
        kwargs=pk("event"),
        sees={NO_CONSENT: BRANCH_SEES},
        why="its institution takes part: banks prepare for the firms they will meet",
    ),
    "lending:event_intents_csv": Entry(
        kwargs=pk("event"),
        sees={NO_CONSENT: BRANCH_SEES},
        why="its institution takes part; the intents with it name the victim",
    ),
    "lending:intent_list": Entry(sees=own(*LOGGED_IN) | {NO_CONSENT: BRANCH_SEES}, why="each role's own scope"),
    "lending:intent_action": Entry(
        methods=("POST",),
        kwargs=lambda w: {"pk": w.intent.pk, "action": "contacted"},
        sees=own(NO_CONSENT),
        acts=_BRANCH_ACTS,
        why="the intent's bank follows it up",
    ),
    "lending:outreach_list": Entry(sees=own(STAFF), why="staff: their region's candidates"),
    "lending:outreach_export": Entry(
        kwargs=lambda w: {"fmt": "csv"}, sees=own(STAFF), why="staff: their region's candidates"
    ),
    "lending:outreach_push": Entry(
        methods=("POST",), sees=own(STAFF), why="a push naming the victim creates no lead for it"
    ),
    "lending:outreach_invite": Entry(
        methods=("POST",), sees=own(STAFF), why="an invitation to the victim's event changes nothing"
    ),
    "lending:outreach_leads": Entry(sees=own(OFFICER) | {NO_CONSENT: BRANCH_SEES}, why="the region it serves"),
    "lending:outreach_lead_contacted": Entry(
        methods=("POST",), kwargs=pk("lead"), sees=own(NO_CONSENT), acts=_BRANCH_ACTS, why="a lead of its region"
    ),
}


def entries(name: str) -> list[Entry]:
    value = MATRIX[name]
    return value if isinstance(value, list) else [value]


def post_data(world) -> dict:
    """One body for every refused POST: plausible values for every form and serializer field the URLs take,
    pointing at the victim's objects, so that a missing check would act rather than fail validation."""
    return {
        "consent": True,
        "amount": "100000.00",
        "term_months": 12,
        "purpose": "矩阵测试",
        "reason": "other",
        "reason_code": "other",
        "note": "矩阵测试",
        "outcome": "upheld",
        "decision": "approve",
        "annual_rate": "3.850",
        "rate": "3.850",
        "principal_amount": "1000.00",
        "paid_on": "2026-11-01",
        "reference": "MATRIX-1",
        "balance": "1000.00",
        "month": "2026-10-01",
        "on_date": "2026-11-01",
        "contract_number": "HT-MATRIX-ATTACK",
        "disbursed_on": "2026-11-01",
        "maturity_on": "2027-11-01",
        "enterprise": world.enterprise.pk,
        "record": world.record.pk,
        "record_id": world.record.pk,
        "obligation_fulfilled_on": "2026-11-01",
        "statement": "矩阵测试",
        "enterprise_id": world.enterprise.pk,
        "enterprise_ids": [world.enterprise.pk],
        "institution_ids": [world.branch.pk],
        "region": "410300",
        "event": world.event.pk,
        "application": world.application.pk,
        "loan": world.loan.pk,
        "product": world.product.pk,
        "metric": "balance",
        "value": "1000.00",
        "deadline": "2026-12-31",
        "title": "矩阵攻击对接会",
        "kind": "roadshow",
        "starts_at": "2026-12-10T09:00",
        "ends_at": "2026-12-10T12:00",
        "status": "attended",
        "participant_ids": [world.participant.pk],
        "attended": True,
    }
