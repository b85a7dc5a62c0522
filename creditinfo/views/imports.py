"""Platform admins' pages for departmental credit-record files: upload, batch list, batch progress and errors."""

from django import forms
from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from creditinfo.ingest import FileError
from creditinfo.ingest.readers import sniff
from creditinfo.models import DataSource, ImportBatch
from creditinfo.services.imports import import_batch_create, import_batch_enqueue
from xinyidai.ratelimits import IMPORT_LIMITS, limited_page
from xinyidai.validators import PlainTextFormMixin
from xinyidai.views import paginate, role_required, row_errors_csv

# Larger files go through `manage.py import_credit_records` on the server rather than through the browser.
DEFAULT_MAX_UPLOAD_BYTES = 256 * 1024 * 1024
ERRORS_PER_PAGE = 50


def max_upload_bytes() -> int:
    return getattr(settings, "CREDIT_IMPORT_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)


class ImportUploadForm(PlainTextFormMixin, forms.Form):
    """A data source and its file; the file's encoding and format are checked from its bytes here."""

    source = forms.ModelChoiceField(
        label=_("Data source"), queryset=DataSource.objects.filter(is_active=True).order_by("code"), empty_label=None
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8, UTF-8 with BOM or GB18030) or JSON Lines in the platform's interchange format."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _("The file is %(size)s; the limit here is %(limit)s. Import larger files with the command."),
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(max_upload_bytes())},
            )
        if not upload.size:
            raise forms.ValidationError(_("The file is empty."))
        try:
            self.encoding, self.file_format = sniff(upload.file)
        except FileError as error:
            raise forms.ValidationError(error.message) from None
        return upload


def _batches():
    return ImportBatch.objects.select_related("source", "uploaded_by")


@role_required("admin")
@require_GET
def import_list(request):
    """Import batches, newest first."""
    return render(request, "creditinfo/import_list.html", {"page_obj": paginate(request, _batches())})


@role_required("admin")
@require_http_methods(["GET", "POST"])
@limited_page(*IMPORT_LIMITS)
def import_upload(request):
    """Upload a file: the batch is created, the import task enqueued, and the batch page shows its progress."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "creditinfo/import_upload.html", {"form": form}, status=400)
        upload = form.cleaned_data["file"]
        with transaction.atomic():
            batch = import_batch_create(
                source=form.cleaned_data["source"],
                fileobj=upload,
                name=upload.name,
                uploaded_by=request.user,
                file_format=form.file_format,
            )
            import_batch_enqueue(batch=batch)
        return redirect("creditinfo:import_detail", pk=batch.pk)
    return render(request, "creditinfo/import_upload.html", {"form": form})


@role_required("admin")
@require_GET
def import_detail(request, pk: int):
    """A batch: status, counts, progress (htmx asks for the progress part alone) and its row errors."""
    batch = get_object_or_404(_batches(), pk=pk)
    if request.htmx:
        return render(request, "creditinfo/import_progress.html", {"batch": batch})
    errors = paginate(request, batch.row_errors.order_by("row_number", "id"), per_page=ERRORS_PER_PAGE)
    return render(request, "creditinfo/import_detail.html", {"batch": batch, "page_obj": errors})


@role_required("admin")
@require_GET
def import_errors_csv(request, pk: int):
    """The batch's row errors as CSV (UTF-8 with a BOM, for Excel)."""
    batch = get_object_or_404(ImportBatch.objects.all(), pk=pk)
    return row_errors_csv(batch.row_errors.all(), filename=f"import-{batch.pk}-errors.csv")
