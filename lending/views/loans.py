"""Loans: the list (within the user's scope, filterable) and one loan's page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from lending import selectors
from lending.filters import LoanFilter
from xinyidai.forms import filter_form
from xinyidai.views import paginate_keyset


@login_required
def loan_list(request):
    filterset = LoanFilter(request.GET, queryset=selectors.loan_list(user=request.user))
    filter_form(filterset)
    page_obj = paginate_keyset(request, filterset.qs, key="disbursed_on")
    return render(request, "lending/loan_list.html", {"filter": filterset, "page_obj": page_obj})


@login_required
def loan_detail(request, pk: int):
    loan = selectors.loan_detail(user=request.user, pk=pk)
    return render(request, "lending/loan_detail.html", {"loan": loan})
