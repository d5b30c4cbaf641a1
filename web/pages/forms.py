"""The staff forms, and how a refused change is shown next to the field it names."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext
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
    URLField,
)
from wtforms.validators import InputRequired, Optional, StopValidation, ValidationError
from wtforms.widgets import HiddenInput

from rollout.customers import Customer, Region, list_customers, more_customers_than
from rollout.errors import DomainError, Invalid
from rollout.freezes import OVERRIDE_FREEZE, OVERRIDE_NEEDS_REASON, OVERRIDE_REASON
from rollout.i18n import N_
from rollout.scheduling import localize, parse_zone, suggest_zones
from rollout.validation import check_year, is_whole_number, refuse_controls
from web.errors import status_of
from web.i18n import languages

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

    override_freeze = BooleanField(OVERRIDE_FREEZE)
    override_reason = LineField(OVERRIDE_REASON)

    def validate_override_reason(self, field) -> None:
        if self.override_freeze.data and not (field.data or "").strip():
            raise ValidationError(OVERRIDE_NEEDS_REASON)

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


COVERINGS = [
    SelectChoice("move", "Move each to the first free slot after the freeze"),
    SelectChoice("move_to", "Move them to a time I choose"),
    SelectChoice("cancel", "Cancel them (a regular occurrence is skipped)"),
    SelectChoice("keep", "Keep them inside the freeze"),
]


class FreezeForm(FlaskForm):
    title = LineField("Title", validators=[InputRequired()])
    scope = RadioField("Applies to", choices=SCOPES, default="global")
    region = SelectField("Region", default="")
    customer = SelectField("Customer", default="")
    starts_at = DateTimeLocalField("Starts (UTC)", format=MINUTES, validators=[InputRequired()])
    ends_at = DateTimeLocalField("Ends (UTC)", format=MINUTES, validators=[InputRequired()])
    reason = TextField("Reason")
    # Shown once the freeze is found to cover planned windows: what happens to them.
    covered = RadioField(
        "What happens to these windows",
        choices=COVERINGS,
        validators=[Optional()],
        validate_choice=True,
    )
    move_to = DateTimeLocalField("New start (UTC)", format=MINUTES, validators=[Optional()])
    covered_reason = LineField("Why they may stay inside the freeze", validators=[Optional()])
    # The ids of the windows the planner was shown: a choice over a list since changed is
    # refused rather than applied to windows nobody looked at.
    reviewed = StringField(widget=HiddenInput(), default="")

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

    def choice(self) -> dict:
        """The use case's covered/move_to/covered_reason/reviewed arguments."""
        if self.covered.data == "move_to" and self.move_to.data is None:
            raise Invalid(
                "Choose the new start, or move them to the first free slot", field="move_to"
            )
        reviewed = self.reviewed.data or ""
        return {
            "covered": "move" if self.covered.data == "move_to" else self.covered.data or None,
            "move_to": in_zone(self.move_to.data, "UTC", field="move_to")
            if self.covered.data == "move_to"
            else None,
            "covered_reason": self.covered_reason.data if self.covered.data == "keep" else None,
            "reviewed": [int(i) for i in reviewed.split() if is_whole_number(i)]
            if reviewed
            else None,
        }


CUSTOMER_MENU = 100  # past this many customers, a filter asks for the slug instead of a list


def customer_menu(session) -> list[Customer] | None:
    """The customers a filter offers as a list, or None when there are too many to send with
    every page: the field is then typed (the customer's slug)."""
    # Counted first: past the menu, a screen of customers loaded would be thrown away.
    if more_customers_than(session, CUSTOMER_MENU):
        return None
    return list_customers(session, limit=CUSTOMER_MENU)


def shows_refused_form(view):
    """Mark a view that checks its form before acting and shows it again when refused: a post
    whose CSRF token failed is handed to it, so what was typed comes back with the reason
    (`csrf_refused` in web/pages/__init__.py); the form's own token check refuses it too."""
    view.shows_refused_form = True
    return view


def in_zone(wall: datetime | None, zone: str, *, field: str) -> datetime | None:
    """A datetime-local input's naive value as the instant it names in `zone`."""
    return None if wall is None else localize(check_year(wall, field=field), ZoneInfo(zone))


def refuse(form: FlaskForm, exc: DomainError) -> int:
    """Show a domain error next to the form field it came from (or above the form); the HTTP
    status. A form whose fields are named unlike the domain's says so in `FROM_DOMAIN`."""
    name = getattr(form, "FROM_DOMAIN", {}).get(exc.field, exc.field)
    field = form._fields.get(name or "")
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
    emergency_start = DateTimeLocalField(
        "Emergency start (UTC, optional)", format=MINUTES, validators=[Optional()]
    )
    jira_key = LineField("Jira key", validators=[Optional()])
    summary = TextField("Internal summary")
    public_note = TextField("Customer-facing note (Markdown)")

    def offer(self, customers: list[Customer]) -> HotfixForm:
        self.customers.choices = [
            SelectChoice(c.slug, f"{c.name} ({c.region.slug})") for c in customers
        ]
        return self


class ApprovalForm(FlaskForm):
    """A zero-day's emergency start in each region it reaches, typed in the region's zone;
    `reviewed` holds the starts the approver last saw, so only those are approved."""

    reviewed = StringField(widget=HiddenInput(), default="")

    @classmethod
    def for_regions(cls, regions: list[Region], **kwargs) -> ApprovalForm:
        """The form with a start field per region, named `starts.<slug>` as the domain's
        refusals name them."""

        class Form(cls):
            pass

        for region in regions:
            setattr(
                Form,
                f"starts.{region.slug}",
                DateTimeLocalField(
                    f"Start in {region.name} ({region.timezone})",
                    format=MINUTES,
                    validators=[InputRequired("Choose a start, or keep the one proposed")],
                ),
            )
        return Form(**kwargs)

    def starts(self, regions: list[Region]) -> dict[str, datetime]:
        """The typed starts as instants, by region slug."""
        return {
            r.slug: in_zone(self[f"starts.{r.slug}"].data, r.timezone, field=f"starts.{r.slug}")
            for r in regions
        }


def check_zone(form, field) -> None:
    """A typed zone we know, else the domain's refusal (`parse_zone`) in the page's language:
    the domain's own message, shared with the API, is English. Empty is left to the form."""
    typed = (field.data or "").strip()
    if not typed:
        return
    try:
        parse_zone(typed)
    except Invalid:
        close = suggest_zones(typed)
        raise ValidationError(
            gettext("unknown time zone: try %(zones)s", zones=f" {gettext('or')} ".join(close))
            if close
            else gettext("unknown time zone: use a name such as Europe/Dublin")
        ) from None


# Notifications: a customer admin's contacts and webhook endpoints. The domain checks every
# value (its messages name the field), so these fields only carry the text to it.

DAMAGED = N_("the form is damaged; reload the page")


class VersionForm(FlaskForm):
    # The version of the row the page showed: saving over a newer one is refused as stale.
    # Absent (a form without one) means no check.
    version = StringField(widget=HiddenInput(), validators=[Optional()])

    def validate_version(self, field) -> None:
        if not is_whole_number(field.data):
            raise ValidationError(DAMAGED)

    def expected_version(self) -> int | None:
        return int(self.version.data) if self.version.data else None


def _language_field(**options) -> SelectField:
    # Named, not coded (`Français`), each in its own language; the domain refuses any other
    # value, next to the field.
    choices = [SelectChoice(code, name, render_kw={"lang": code}) for code, name in languages()]
    return SelectField(N_("Language"), choices=choices, validate_choice=False, **options)


class ContactForm(FlaskForm):
    FROM_DOMAIN = {"subscriptions": "topics"}

    name = StringField(N_("Name"), default="", id="new-name")
    email = EmailField(N_("Email"), default="", id="new-email")
    role = StringField(N_("Role"), default="", id="new-role")
    locale = _language_field(id="new-locale")
    timezone = StringField(N_("Time zone"), id="new-timezone", validators=[check_zone])
    topics = SelectMultipleField(N_("Topics"), validate_choice=False)


class ContactSubscriptionsForm(VersionForm):
    FROM_DOMAIN = {"subscriptions": "topics"}

    locale = _language_field()
    timezone = StringField(N_("Time zone"), validators=[check_zone])
    topics = SelectMultipleField(N_("Topics"), validate_choice=False)


class WebhookForm(FlaskForm):
    url = URLField(N_("HTTPS URL"), default="", id="new-url")
    description = StringField(N_("Description"), default="", id="new-description")
    topics = SelectMultipleField(N_("Topics"), validate_choice=False)


# A customer contact's sign-in by emailed link, and their own notification preferences.


class LinkRequestForm(FlaskForm):
    email = EmailLineField(
        N_("Your email address"),
        validators=[InputRequired(N_("Type the email address we send your notices to."))],
        render_kw={"autocomplete": "email"},
    )


class PreferencesForm(VersionForm):
    locale = SelectField(N_("Language"))
    timezone = LineField(
        N_("Time zone"), validators=[InputRequired(N_("Type a time zone.")), check_zone]
    )
    topics = SelectMultipleField(N_("Send me emails about"), validate_choice=False)

    def offer(self, languages: list[tuple[str, str]]) -> PreferencesForm:
        self.locale.choices = [SelectChoice(code, name) for code, name in languages]
        return self
