"""The staff forms, and how a refused change is shown next to the field it names."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional, StopValidation, ValidationError
from wtforms.widgets import HiddenInput

from rollout.customers import Customer, Region
from rollout.errors import DomainError, Invalid
from rollout.scheduling import localize
from rollout.validation import check_year, is_whole_number, refuse_controls
from web.errors import status_of

# What a datetime-local input sends: minutes, or seconds when a browser adds them.
MINUTES = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class LineField(StringField):
    """One line of text without control characters, as the API's `Line`."""

    multiline = False

    def pre_validate(self, form) -> None:
        if isinstance(self.data, str):
            try:
                self.data = refuse_controls(self.data, field=self.name, multiline=self.multiline)
            except Invalid as exc:
                raise StopValidation(exc.message) from None


class TextField(LineField, TextAreaField):
    """Several lines without control characters, as the API's `Text`."""

    multiline = True


class EmailLineField(LineField, EmailField):
    """An email address typed into a form: one line, no control characters."""


class LoginForm(FlaskForm):
    email = EmailLineField(
        "Email", validators=[InputRequired()], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        "Password", validators=[InputRequired()], render_kw={"autocomplete": "current-password"}
    )


class _OverrideFreeze:
    """Mixin: a freeze may be overridden only with a reason, which goes into the history."""

    override_freeze = BooleanField("Go ahead inside a freeze")
    override_reason = LineField("Why the freeze may be overridden")

    def validate_override_reason(self, field) -> None:
        if self.override_freeze.data and not (field.data or "").strip():
            raise ValidationError("say why the freeze may be overridden")

    def override(self) -> str | None:
        return self.override_reason.data if self.override_freeze.data else None


class WindowForm(_OverrideFreeze, FlaskForm):
    region = SelectField("Region", validators=[InputRequired()])
    customer = SelectField("Customer", default="")
    kind = SelectField(
        "Kind", choices=[SelectChoice("ad_hoc", "Ad hoc"), SelectChoice("emergency", "Emergency")]
    )
    title = LineField("Title", validators=[InputRequired()])
    starts_at = DateTimeLocalField("Starts", format=MINUTES, validators=[InputRequired()])
    ends_at = DateTimeLocalField("Ends", format=MINUTES, validators=[InputRequired()])
    justification = TextField("Justification (required for an emergency)")

    def offer(self, regions: list[Region], customers: list[Customer]) -> WindowForm:
        self.region.choices = [SelectChoice(r.slug, f"{r.name} — {r.timezone}") for r in regions]
        self.customer.choices = [SelectChoice("", "Whole region")] + [
            SelectChoice(c.slug, f"{c.name} ({c.region.slug})") for c in customers
        ]
        return self


class ChangeForm(_OverrideFreeze, FlaskForm):
    # The revision the editor saw: a change to anything older is refused as stale.
    sequence = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    reason = LineField("Reason", validators=[Optional()])
    starts_at = DateTimeLocalField("New start", format=MINUTES, validators=[Optional()])
    ends_at = DateTimeLocalField("New end", format=MINUTES, validators=[Optional()])


SCOPES = [
    SelectChoice("global", "Everyone"),
    SelectChoice("region", "One region"),
    SelectChoice("customer", "One customer"),
]


class FreezeForm(FlaskForm):
    title = LineField("Title", validators=[InputRequired()])
    scope = RadioField("Applies to", choices=SCOPES, default="global")
    region = SelectField("Region", default="")
    customer = SelectField("Customer", default="")
    starts_at = DateTimeLocalField("Starts (UTC)", format=MINUTES, validators=[InputRequired()])
    ends_at = DateTimeLocalField("Ends (UTC)", format=MINUTES, validators=[InputRequired()])
    reason = TextField("Reason")

    def offer(self, regions: list[Region], customers: list[Customer]) -> FreezeForm:
        self.region.choices = [SelectChoice("", "—")] + [
            SelectChoice(r.slug, r.name) for r in regions
        ]
        self.customer.choices = [SelectChoice("", "—")] + [
            SelectChoice(c.slug, c.name) for c in customers
        ]
        return self

    def validate_region(self, field) -> None:
        if self.scope.data == "region" and not field.data:
            raise ValidationError("choose the region")

    def validate_customer(self, field) -> None:
        if self.scope.data == "customer" and not field.data:
            raise ValidationError("choose the customer")

    def target(self) -> dict[str, str | None]:
        """The use case's region/customer arguments for the chosen scope."""
        return {
            "region": self.region.data if self.scope.data == "region" else None,
            "customer": self.customer.data if self.scope.data == "customer" else None,
        }


def in_zone(wall: datetime | None, zone: str, *, field: str) -> datetime | None:
    """A datetime-local input's naive value as the instant it names in `zone`."""
    return None if wall is None else localize(check_year(wall, field=field), ZoneInfo(zone))


def refuse(form: FlaskForm, exc: DomainError) -> int:
    """Show a domain error next to the field it names (or above the form); the HTTP status."""
    field = form._fields.get(exc.field or "")
    if field is not None and getattr(field.widget, "input_type", "") != "hidden":
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)
    status, _ = status_of(exc)
    # On a form, an unknown choice or unparsable value is just bad input.
    return 422 if status in (400, 404) else status


# Releases, waves, deployments and hotfixes

ITEM_KINDS = [
    SelectChoice("feature", "Feature"),
    SelectChoice("improvement", "Improvement"),
    SelectChoice("fix", "Fix"),
    SelectChoice("security", "Security fix"),
]
OUTCOMES = [
    SelectChoice("in_progress", "In progress"),
    SelectChoice("succeeded", "Succeeded"),
    SelectChoice("failed", "Failed"),
    SelectChoice("rolled_back", "Rolled back"),
]
URGENCIES = [
    SelectChoice("normal", "Normal: next regular window"),
    SelectChoice("zero_day", "Zero-day: emergency window"),
]


class ReleaseForm(FlaskForm):
    version = LineField("Version", validators=[InputRequired()])
    title = LineField("Title", validators=[InputRequired()])
    soak_days = IntegerField("Soak days", default=7, validators=[InputRequired()])


class ItemForm(FlaskForm):
    kind = SelectField("Kind", choices=ITEM_KINDS)
    jira_key = LineField("Jira key", validators=[Optional()])
    summary = TextField("Internal summary", validators=[InputRequired()])
    public_note = TextField("Customer-facing note (Markdown)")


class MoveWaveForm(FlaskForm):
    window = SelectField("Window", coerce=int, validators=[InputRequired()])

    def offer(self, windows: list[tuple[int, str]]) -> MoveWaveForm:
        self.window.choices = [SelectChoice(value, label) for value, label in windows]
        return self


class OutcomeForm(FlaskForm):
    # As posted, every outcome is a choice, so a refused one is refused by the domain in its
    # words; `offer` narrows the menu a page shows to what may follow.
    status = SelectField(
        "Outcome", choices=OUTCOMES, validators=[InputRequired("Choose an outcome")]
    )
    note = LineField("Note", validators=[Optional()])
    early = BooleanField("It ran before its window")
    early_reason = LineField("Why it ran early", validators=[Optional()])
    # Whether the deployment's window is still ahead, so a success needs the early fields.
    before_window = False

    def offer(self, allowed: list[str], *, before_window: bool) -> OutcomeForm:
        """A menu of only the `allowed` outcomes, after a blank "Choose an outcome"."""
        self.status.choices = [SelectChoice("", "Choose an outcome")] + [
            c for c in OUTCOMES if c.value in allowed
        ]
        self.before_window = before_window and "succeeded" in allowed
        return self


class RevisionForm(FlaskForm):
    # The revision the editor saw: acting on anything older is refused as stale.
    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class HotfixForm(FlaskForm):
    title = LineField("Title", validators=[InputRequired()])
    urgency = SelectField("Urgency", choices=URGENCIES)
    customers = SelectMultipleField("Only for these customers", validators=[Optional()])
    justification = TextField("Justification (required for a zero-day)")
    jira_key = LineField("Jira key", validators=[Optional()])
    summary = TextField("Internal summary")
    public_note = TextField("Customer-facing note (Markdown)")

    def offer(self, customers: list[Customer]) -> HotfixForm:
        self.customers.choices = [
            SelectChoice(c.slug, f"{c.name} ({c.region.slug})") for c in customers
        ]
        return self


# Notifications: a customer admin's contacts and webhook endpoints. The domain checks every
# value (its messages name the field), so these fields only carry the text to it.

DAMAGED = "the form is damaged; reload the page"


class VersionForm(FlaskForm):
    # The version of the row the page showed: saving over a newer one is refused as stale.
    # Absent (a form without one) means no check.
    version = StringField(widget=HiddenInput(), validators=[Optional()])

    def validate_version(self, field) -> None:
        if not is_whole_number(field.data):
            raise ValidationError(DAMAGED)

    def expected_version(self) -> int | None:
        return int(self.version.data) if self.version.data else None


class CustomerSigninForm(FlaskForm):
    token = StringField("API token", default="")


class ContactForm(FlaskForm):
    name = StringField("Name", default="")
    email = StringField("Email", default="")
    role = StringField("Role", default="")
    locale = StringField("Language")
    timezone = StringField("Time zone")
    topics = SelectMultipleField("Topics", validate_choice=False)


class ContactSubscriptionsForm(VersionForm):
    locale = StringField("Language")
    timezone = StringField("Time zone")
    topics = SelectMultipleField("Topics", validate_choice=False)


class WebhookForm(FlaskForm):
    url = StringField("HTTPS URL", default="")
    description = StringField("Description", default="")
    topics = SelectMultipleField("Topics", validate_choice=False)
