"""Set-based recomputation of evaluations: the SQL aggregation agrees with the pure scoring reference."""

import datetime
import json
import re

import pytest
from celery.result import EagerResult
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from creditinfo import scoring, tasks
from creditinfo.models import Evaluation
from creditinfo.models import RecordCategory as C
from creditinfo.scoring import RecordFacts
from creditinfo.services import evaluations as service
from creditinfo.services.evaluations import evaluations_recompute
from tests.factories import CreditRecordFactory, DataSourceFactory, EnterpriseFactory, EvaluationFactory

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def add(enterprise, category, severity="", decided=-30, until=335, **kwargs):
    return CreditRecordFactory(
        enterprise=enterprise,
        source=DataSourceFactory(code=f"src-{category}", category=category),
        category=category,
        severity=severity,
        decision_date=days(decided),
        publish_until=None if until is None else days(until),
        **kwargs,
    )


def reference(enterprise) -> scoring.ScoreResult:
    """The pure function applied to the enterprise's records read one by one."""
    records = [
        RecordFacts(r.id, r.category, r.severity, r.decision_date, r.publish_until, r.status, r.title, r.detail)
        for r in enterprise.credit_records.all()
    ]
    features = scoring.features_from_records(
        enterprise_id=enterprise.id,
        created_on=timezone.localdate(enterprise.created_at),
        records=records,
        today=timezone.localdate(),
    )
    return scoring.score(features)


def assert_matches_reference(enterprise):
    stored = Evaluation.objects.get(enterprise=enterprise)
    expected = reference(enterprise)
    assert (stored.score, stored.grade) == (expected.score, expected.grade)
    assert stored.factors == json.loads(json.dumps(expected.factors))
    assert stored.improvements == json.loads(json.dumps(expected.improvements))
    assert stored.model_version == scoring.MODEL_VERSION


@pytest.fixture
def mixed():
    """Three enterprises: a troubled one, a good one, one without records."""
    troubled = EnterpriseFactory(created_at=timezone.now() - datetime.timedelta(days=800))
    add(troubled, C.PENALTY, "serious", decided=-400, until=600, title="偷逃税款")
    add(troubled, C.PENALTY, "general", decided=-20, title="未按规定公示年度报告")
    add(troubled, C.PENALTY, "minor", decided=-5, status="disputed", title="逾期年报")
    add(troubled, C.PENALTY, "", decided=-60, title="无等级处罚")
    add(troubled, C.PENALTY, "serious", decided=-30, status="repaired")  # out of publication
    add(troubled, C.PENALTY, "serious", decided=2)  # not yet decided
    add(troubled, C.ABNORMAL_OPERATION, "", decided=-100, title="列入经营异常名录")
    add(troubled, C.JUDGMENT_DEBTOR, "serious", decided=-10, title="拒不履行判决")
    add(troubled, C.TAX_GRADE, decided=-700, until=None, title="2024年度纳税信用等级 B")
    add(troubled, C.TAX_GRADE, decided=-300, until=None, title="2025年度纳税信用等级 C")
    add(troubled, C.UTILITY, decided=-40, title="拖欠电费")
    add(troubled, C.SOCIAL_INSURANCE, decided=-40, title="欠缴社会保险费")
    add(troubled, C.SOCIAL_INSURANCE, decided=-400, title="社会保险费按时足额缴纳")
    add(troubled, C.COMMITMENT, decided=-200, title="融资信用承诺", detail="履约情况：未履约")
    good = EnterpriseFactory(created_at=timezone.now() - datetime.timedelta(days=3000))
    add(good, C.REGISTRATION, decided=-3650, until=None)
    add(good, C.TAX_GRADE, decided=-100, until=None, title="2025年度纳税信用等级：A")
    add(good, C.HONOUR, decided=-200, until=None)
    add(good, C.HONOUR, decided=-100, until=None)
    add(good, C.COMMITMENT, decided=-50, title="融资信用承诺", detail="履约情况：已履约")
    add(good, C.SOCIAL_INSURANCE, decided=-50, title="住房公积金按时足额缴存")
    add(good, C.INTELLECTUAL_PROPERTY, decided=-500, until=None)
    empty = EnterpriseFactory()
    return troubled, good, empty


def test_all_enterprises_are_scored_like_the_pure_function(mixed):
    troubled, good, empty = mixed
    assert evaluations_recompute() == 3
    for enterprise in mixed:
        assert_matches_reference(enterprise)
    grades = dict(Evaluation.objects.values_list("enterprise_id", "grade"))
    assert grades[troubled.id] == "D" and grades[good.id] == "A" and grades[empty.id] == "B"
    stored = Evaluation.objects.get(enterprise=troubled)
    factors = {f["code"]: f for f in stored.factors}
    # Published only (not the repaired or future penalty); a penalty without severity counts as general.
    assert factors["penalties"]["params"] == {"minor": 1, "general": 2, "serious": 1}
    assert factors["tax_grade"]["params"] == {"grade": "C"}
    assert factors["utility_arrears"]["params"] == factors["social_insurance_arrears"]["params"] == {"count": 1}
    assert factors["commitments_broken"]["params"] == {"count": 1}
    assert "payments_regular" not in factors  # arrears outweigh the regular statement
    good_factors = {f["code"]: f["params"] for f in Evaluation.objects.get(enterprise=good).factors}
    assert good_factors["payments_regular"] == good_factors["commitments_kept"] == {"count": 1}
    repairs = [i["params"]["title"] for i in stored.improvements if i["code"] == "repair_record"]
    assert repairs == ["拒不履行判决", "偷逃税款", "未按规定公示年度报告"]


def test_records_outside_the_publication_window_are_ignored(mixed):
    troubled, good, empty = mixed
    evaluations_recompute()
    before = Evaluation.objects.get(enterprise=empty).score
    add(empty, C.PENALTY, "serious", decided=-400, until=-1)  # window ended yesterday
    add(empty, C.PENALTY, "serious", decided=1, until=300)  # decided tomorrow
    add(empty, C.SERIOUS_DISHONESTY, "serious", decided=-30, status="repaired")
    add(empty, C.JUDGMENT_DEBTOR, "serious", decided=-30, status="expired")
    add(empty, C.PENALTY, "general", decided=-30, status="removed")
    evaluations_recompute(enterprise_ids=[empty.id])
    stored = Evaluation.objects.get(enterprise=empty)
    assert stored.score == before == scoring.BASE_SCORE + 60
    assert not [i for i in stored.improvements if i["code"] == "repair_record"]
    # ...while a record published today and ending today counts.
    add(empty, C.PENALTY, "minor", decided=0, until=0)
    evaluations_recompute(enterprise_ids=[empty.id])
    assert Evaluation.objects.get(enterprise=empty).score < before


def test_ids_mode_touches_only_those_enterprises(mixed):
    troubled, good, empty = mixed
    assert evaluations_recompute(enterprise_ids=[good.id, good.id, empty.id]) == 2
    assert set(Evaluation.objects.values_list("enterprise_id", flat=True)) == {good.id, empty.id}
    assert evaluations_recompute(enterprise_ids=[]) == 0


def test_batch_mode_scores_the_enterprises_a_batch_touched(mixed):
    from creditinfo.models import ImportBatch

    troubled, good, empty = mixed
    batch = ImportBatch.objects.create(source=DataSourceFactory(code="src-penalty"), file="imports/x.csv")
    add(troubled, C.PENALTY, "minor", decided=-3, batch=batch)
    add(empty, C.PENALTY, "general", decided=-3000, until=-1000, batch=batch)  # long expired: still re-scored
    assert evaluations_recompute(batch_id=batch.id) == 2
    assert set(Evaluation.objects.values_list("enterprise_id", flat=True)) == {troubled.id, empty.id}
    assert_matches_reference(troubled)
    assert_matches_reference(empty)


def test_rerun_is_idempotent_and_replaces_older_results(mixed):
    troubled, good, empty = mixed
    EvaluationFactory(enterprise=good, score=1, grade="D", model_version="old", factors=[{"code": "x"}])
    evaluations_recompute()
    first = {e.enterprise_id: (e.score, e.grade, e.factors, e.improvements) for e in Evaluation.objects.all()}
    assert evaluations_recompute() == 3
    second = {e.enterprise_id: (e.score, e.grade, e.factors, e.improvements) for e in Evaluation.objects.all()}
    assert first == second and len(second) == 3
    assert set(Evaluation.objects.values_list("model_version", flat=True)) == {scoring.MODEL_VERSION}
    assert_matches_reference(good)


def test_small_chunks_give_the_same_results(mixed, monkeypatch):
    monkeypatch.setattr(service, "CHUNK", 1)
    assert evaluations_recompute() == 3
    for enterprise in mixed:
        assert_matches_reference(enterprise)


def test_the_celery_task_runs_eagerly(mixed):
    troubled, good, empty = mixed
    result = tasks.evaluations_recompute.delay(enterprise_ids=[troubled.id])
    assert isinstance(result, EagerResult)
    assert result.get() == 1
    assert Evaluation.objects.filter(enterprise=troubled).exists()
    assert tasks.evaluations_recompute.delay().get() == 3


def test_the_command_prints_count_and_time(mixed, capsys):
    troubled, good, empty = mixed
    with translation.override("en"):
        call_command("recompute_evaluations", "--enterprise", str(good.id), "--enterprise", str(empty.id))
        assert re.fullmatch(r"2 evaluations recomputed in \d+\.\d s\n", capsys.readouterr().out)
        assert Evaluation.objects.count() == 2
        call_command("recompute_evaluations")
        assert capsys.readouterr().out.startswith("3 evaluations recomputed")
        with pytest.raises(CommandError, match="positive"):
            call_command("recompute_evaluations", "--enterprise", "0")
