"""The lead-capture flow's screens (flows/lead_capture.json): LEAD -> CONFIRM -> SUCCESS."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from reference_server._cleaning import LeadForm, clean_lead_form, clean_text
from reference_server._queue import now_iso
from reference_server._tokens import FlowTokenClaims
from reference_server.exceptions import LeadValidationError, ReferenceServerError

FIRST_SCREEN = "LEAD"
CONFIRM_SCREEN = "CONFIRM"
_CONFIRM_FIELDS = ("first_name", "last_name", "email", "company", "phone", "interest")


class UnknownScreenError(ReferenceServerError):
    """The request names a screen this flow does not have: check the Flow JSON sent."""


def build_lead(form: LeadForm, claims: FlowTokenClaims, *, default_source: str) -> dict[str, Any]:
    """The queued lead: the cleaned form plus what the flow token says about the person."""
    return {
        "lead_id": uuid.uuid4().hex,
        "phone": claims.phone,
        **form.as_dict(),
        "source": claims.source or default_source,
        "campaign": claims.campaign,
        "flow_id": claims.flow_id,
        "received_at": now_iso(),
    }


@dataclass(frozen=True, slots=True)
class Step:
    """What one data_exchange produces: the answer, and a confirmed lead to queue (whose
    reference the answer carries). Working it out changes nothing anywhere, so a repeat
    may work it out again and the endpoint decides which copy counts."""

    answer: dict[str, Any]
    lead: dict[str, Any] | None = None


def _confirm_data(form: LeadForm) -> dict[str, Any]:
    who = f"{form.first_name} {form.last_name}, {form.email}"
    extras = ", ".join(x for x in (form.company, form.contact_phone) if x)
    return {
        "error_message": "",
        "summary": f"{who}{', ' + extras if extras else ''}. Interested in: {form.interest}.",
        "first_name": form.first_name,
        "last_name": form.last_name,
        "email": form.email,
        "company": form.company,
        "phone": form.contact_phone,
        "interest": form.interest,
        "consent": form.consent,
    }


class LeadFlow:
    """Answers INIT, BACK and data_exchange for the lead-capture flow."""

    def __init__(self, *, default_region: str, default_source: str):
        self._region = default_region
        self._source = default_source

    def first_screen(self, error_message: str = "") -> dict[str, Any]:
        return {"screen": FIRST_SCREEN, "data": {"error_message": error_message}}

    def stay(self, screen: str, data: dict[str, Any], error_message: str) -> dict[str, Any]:
        """``screen`` again with its declared data (echoed from ``data``) and a snackbar."""
        if screen == FIRST_SCREEN:
            return self.first_screen(error_message)
        if screen == CONFIRM_SCREEN:
            echo = {f: clean_text(data.get(f)) for f in _CONFIRM_FIELDS}
            return {
                "screen": CONFIRM_SCREEN,
                "data": {
                    **echo,
                    "error_message": error_message,
                    "summary": "",
                    "consent": data.get("consent") in (True, "true"),
                },
            }
        raise _unknown_screen(screen)

    def data_exchange(
        self, screen: str, data: dict[str, Any], claims: FlowTokenClaims, flow_token: str
    ) -> Step:
        if screen == FIRST_SCREEN:
            try:
                form = clean_lead_form(data, default_region=self._region)
            except LeadValidationError as exc:
                return Step(self.first_screen(exc.message))
            return Step({"screen": CONFIRM_SCREEN, "data": _confirm_data(form)})
        if screen == CONFIRM_SCREEN:
            try:
                form = clean_lead_form(data, default_region=self._region)
            except LeadValidationError as exc:
                return Step(self.stay(CONFIRM_SCREEN, data, exc.message))
            lead = build_lead(form, claims, default_source=self._source)
            params = {"flow_token": flow_token, "lead_reference": lead["lead_id"]}
            success = {
                "screen": "SUCCESS",
                "data": {"extension_message_response": {"params": params}},
            }
            return Step(success, lead)
        raise _unknown_screen(screen)


def _unknown_screen(screen: str) -> UnknownScreenError:
    shown = screen if len(screen) <= 40 else screen[:40] + "..."
    return UnknownScreenError(
        f"unknown screen {shown!r}: this flow has {FIRST_SCREEN} and {CONFIRM_SCREEN}"
    )
