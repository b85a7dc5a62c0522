"""Targets: government staff list and add targets for their region and the regions below it."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from lending.models.targets import Target, TargetMetric
from lending.services.targets import target_create
from xinyidai.errors import DomainError
from xinyidai.forms import form_add_domain_error
from xinyidai.models import Region
from xinyidai.validators import PlainTextFormMixin
from xinyidai.views import paginate, role_required


class TargetForm(PlainTextFormMixin, forms.Form):
    """Shape only: the service checks the region is within the user's scope."""

    metric = forms.ChoiceField(label=_("Metric"), choices=TargetMetric.choices)
    value = forms.DecimalField(
        label=_("Target value"),
        max_digits=18,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("In yuan for amounts; a number of enterprises for counts."),
    )
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(user.region.subtree_q())
        self.fields["region"].initial = user.region_id


@role_required("staff")
@require_safe
def target_list(request):
    """The targets of the user's region and below, soonest deadline first."""
    targets = Target.objects.visible_to(request.user).select_related("region", "created_by")
    return render(request, "lending/target_list.html", {"page_obj": paginate(request, targets)})


@role_required("staff")
@require_http_methods(["GET", "POST"])
def target_add(request):
    form = TargetForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                target_create(user=request.user, **form.cleaned_data)
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("The target is saved."))
                return redirect("lending:target_list")
        return render(request, "lending/target_form.html", {"form": form}, status=400)
    return render(request, "lending/target_form.html", {"form": form})
