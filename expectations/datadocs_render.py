"""How the Data Docs state a batch's outcome: GX knows only Succeeded and Failed, the gate three.

A record rule that some records break sends those records to quarantine and the rest of the
batch is published: the batch passed with warnings. Only a table rule fails a batch (it is not
published). The gate stores the counts in each validation's meta.batch_spec (gate._store); these
renderers, which the site's configuration names (datadocs.SITE_CONFIG), read them from there.
"""

from __future__ import annotations

from typing import Any

from great_expectations.render import RenderedStringTemplateContent
from great_expectations.render.renderer import SiteIndexPageRenderer, ValidationResultsPageRenderer

PASSED, WARNED, FAILED = "passed", "passed with warnings", "failed"
ICONS = {
    PASSED: ["fas", "fa-check-circle", "text-success"],
    WARNED: ["fas", "fa-exclamation-triangle", "text-warning"],
    FAILED: ["fas", "fa-times", "text-danger"],
}


def outcome(success: bool | None, batch_spec: dict[str, Any] | None) -> str:
    if not success:
        return FAILED
    return WARNED if (batch_spec or {}).get("quarantined_records") else PASSED


def _details(batch_spec: dict[str, Any] | None) -> str:
    """Why a batch failed (its table rules), or how many of its records were quarantined."""
    spec = batch_spec or {}
    if spec.get("table_rule_failures"):
        return ": " + "; ".join(spec["table_rule_failures"])
    if not spec.get("quarantined_records"):
        return ""
    return f" ({spec['quarantined_records']} of {spec.get('records')} records quarantined)"


class ValidationPageRenderer(ValidationResultsPageRenderer):
    """A validation page whose overview says passed / passed with warnings / failed."""

    @classmethod
    def _render_validation_header(cls, validation_results):
        header = super()._render_validation_header(validation_results)
        spec = validation_results.meta.get("batch_spec")
        status = outcome(validation_results.success, spec)
        params = header.subheader.string_template["params"]
        params["success"] = status + _details(spec)
        params["html_success_icon"] = f'<i class="{" ".join(ICONS[status])}" aria-hidden="true"></i>'
        return header


class IndexPageRenderer(SiteIndexPageRenderer):
    """The index's status column says passed / passed with warnings / failed, in words too."""

    @classmethod
    def _generate_validation_results_link_table(cls, index_links_dict):
        table = super()._generate_validation_results_link_table(index_links_dict)
        for row, link in zip(table.table_data, index_links_dict.get("validations_links", []), strict=True):
            status = outcome(link.get("validation_success"), link.get("batch_spec"))
            row["validation_success"] = RenderedStringTemplateContent(
                content_block_type="string_template",
                string_template={
                    "template": "$icon $status",
                    "params": {"icon": "", "status": status},
                    "styling": {
                        "params": {"icon": {"tag": "i", "classes": ICONS[status]}},
                        "classes": ["ge-index-page-table-validation-links-item"],
                    },
                },
            )
            row["_validation_success_text"] = status
        return table
