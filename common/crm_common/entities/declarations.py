"""Every business entity of the foundation, declared once."""

from __future__ import annotations

from enum import StrEnum

from crm_common.entities.spec import Choice, EntitySpec, FieldSpec, Kind, Nav, register
from crm_common.i18n import N_
from crm_common.schemas.activity import ActivityCreate, ActivityRead, ActivityType, ActivityUpdate
from crm_common.schemas.attachment import AttachmentRead, AttachmentUpdate
from crm_common.schemas.contact import ContactCreate, ContactRead, ContactUpdate, DecisionRole
from crm_common.schemas.customer import (
    CustomerCreate,
    CustomerLevel,
    CustomerRead,
    CustomerSource,
    CustomerStatus,
    CustomerUpdate,
)
from crm_common.schemas.department import DepartmentCreate, DepartmentRead, DepartmentUpdate
from crm_common.schemas.job import JobRead, JobState
from crm_common.schemas.role import RoleCreate, RoleRead, RoleUpdate
from crm_common.schemas.security import AuditRead
from crm_common.schemas.user import UserCreate, UserRead, UserUpdate


def choices(enum: type[StrEnum], labels: dict[StrEnum, str]) -> tuple[Choice, ...]:
    """Choices in declaration order; every member must have a label."""
    return tuple(Choice(member.value, labels[member]) for member in enum)


SALES = N_("Sales")
ORGANISATION = N_("Organisation")

CREATED = FieldSpec("created_at", N_("Created"), Kind.DATETIME, editable=False, listed=False,
                    sortable=True, width=140)
UPDATED = FieldSpec("updated_at", N_("Updated"), Kind.DATETIME, editable=False, listed=False,
                    sortable=True, width=140)
OWNER = FieldSpec("owner_id", N_("Owner"), Kind.REF, ref="user", display="owner_name",
                  filterable=True, width=90)

DEPARTMENT = register(EntitySpec(
    key="department", path="departments",
    label=N_("Department"), label_plural=N_("Departments"),
    read=DepartmentRead, create=DepartmentCreate, update=DepartmentUpdate,
    fields=(
        FieldSpec("name", N_("Name"), required=True, sortable=True, width=200),
        FieldSpec("parent_id", N_("Parent department"), Kind.REF, ref="department",
                  display="parent_name", filterable=True, width=160),
        FieldSpec("sort_order", N_("Sort order"), Kind.INT, listed=False),
        CREATED,
    ),
    icon="department", nav=Nav(ORGANISATION, 20),
))

USER = register(EntitySpec(
    key="user", path="users",
    label=N_("User"), label_plural=N_("Users"),
    read=UserRead, create=UserCreate, update=UserUpdate,
    fields=(
        FieldSpec("username", N_("Username"), required=True, sortable=True, width=120),
        FieldSpec("name", N_("Name"), required=True, sortable=True, width=100),
        FieldSpec("department_id", N_("Department"), Kind.REF, ref="department",
                  display="department_name", filterable=True, width=140),
        FieldSpec("role_ids", N_("Roles"), Kind.REFS, ref="role", display="role_names",
                  width=160),
        FieldSpec("mobile", N_("Mobile"), width=110),
        FieldSpec("email", N_("Email"), width=220),
        FieldSpec("is_active", N_("Active"), Kind.BOOL, filterable=True, width=60),
        FieldSpec("last_login_at", N_("Last sign-in"), Kind.DATETIME, editable=False,
                  width=140),
        FieldSpec("must_change_password", N_("Must change password"), Kind.BOOL,
                  editable=False, listed=False, width=60),
        CREATED,
    ),
    icon="user", nav=Nav(ORGANISATION, 10),
))

ROLE = register(EntitySpec(
    key="role", path="roles",
    label=N_("Role"), label_plural=N_("Roles"),
    read=RoleRead, create=RoleCreate, update=RoleUpdate,
    fields=(
        FieldSpec("name", N_("Name"), required=True, sortable=True, width=160),
        FieldSpec("description", N_("Description"), Kind.LONG_TEXT, width=300),
        FieldSpec("is_builtin", N_("Built-in"), Kind.BOOL, editable=False, filterable=True,
                  width=60),
        CREATED,
    ),
    admin_only_write=True, icon="role",
))

CUSTOMER = register(EntitySpec(
    key="customer", path="customers",
    label=N_("Customer"), label_plural=N_("Customers"),
    read=CustomerRead, create=CustomerCreate, update=CustomerUpdate,
    fields=(
        FieldSpec("name", N_("Name"), required=True, sortable=True, width=240,
                  placeholder=N_("Full registered company name")),
        FieldSpec("short_name", N_("Short name"), width=100),
        FieldSpec("uscc", N_("Unified social credit code"), listed=False, width=160,
                  placeholder=N_("18 characters")),
        FieldSpec("level", N_("Level"), Kind.CHOICE, sortable=True, filterable=True, width=70,
                  choices=choices(CustomerLevel, {
                      CustomerLevel.KEY: N_("Key account"), CustomerLevel.A: N_("A"),
                      CustomerLevel.B: N_("B"), CustomerLevel.C: N_("C")})),
        FieldSpec("status", N_("Status"), Kind.CHOICE, filterable=True, width=70,
                  choices=choices(CustomerStatus, {
                      CustomerStatus.POTENTIAL: N_("Potential"),
                      CustomerStatus.ACTIVE: N_("Active"),
                      CustomerStatus.DORMANT: N_("Dormant"),
                      CustomerStatus.LOST: N_("Lost")})),
        FieldSpec("industry", N_("Industry"), filterable=True, width=100),
        FieldSpec("province", N_("Province"), sortable=True, filterable=True, width=80),
        FieldSpec("city", N_("City"), filterable=True, width=80),
        FieldSpec("district", N_("District"), listed=False, width=80),
        FieldSpec("address", N_("Address"), listed=False, width=240),
        FieldSpec("phone", N_("Phone"), listed=False, width=120),
        FieldSpec("source", N_("Source"), Kind.CHOICE, filterable=True, listed=False, width=80,
                  choices=choices(CustomerSource, {
                      CustomerSource.EXHIBITION: N_("Exhibition"),
                      CustomerSource.REFERRAL: N_("Referral"),
                      CustomerSource.WEBSITE: N_("Website"),
                      CustomerSource.COLD_CALL: N_("Cold call"),
                      CustomerSource.TENDER: N_("Tender"),
                      CustomerSource.PARTNER: N_("Partner"),
                      CustomerSource.OTHER: N_("Other")})),
        OWNER,
        FieldSpec("parent_id", N_("Parent company"), Kind.REF, ref="customer",
                  display="parent_name", listed=False, width=200),
        FieldSpec("tags", N_("Tags"), Kind.TAGS, listed=False, width=160),
        FieldSpec("notes", N_("Notes"), Kind.LONG_TEXT, listed=False),
        FieldSpec("last_activity_at", N_("Last follow-up"), Kind.DATETIME, editable=False,
                  sortable=True, width=130),
        FieldSpec("next_follow_up_on", N_("Next follow-up"), Kind.DATE, editable=False,
                  listed=False, width=100),
        CREATED, UPDATED,
    ),
    searchable=True,
    search_fields=("name", "short_name", "uscc", "phone", "contact.mobile", "contact.phone"),
    icon="customer", nav=Nav(SALES, 10),
))

CONTACT = register(EntitySpec(
    key="contact", path="contacts",
    label=N_("Contact"), label_plural=N_("Contacts"),
    read=ContactRead, create=ContactCreate, update=ContactUpdate,
    fields=(
        FieldSpec("name", N_("Name"), required=True, sortable=True, width=90),
        FieldSpec("customer_id", N_("Customer"), Kind.REF, ref="customer",
                  display="customer_name", required=True, filterable=True, width=220),
        FieldSpec("title", N_("Title"), width=100),
        FieldSpec("mobile", N_("Mobile"), width=110),
        FieldSpec("phone", N_("Phone"), listed=False, width=120),
        FieldSpec("email", N_("Email"), width=220),
        FieldSpec("wechat", N_("WeChat"), listed=False, width=100),
        FieldSpec("decision_role", N_("Decision role"), Kind.CHOICE, filterable=True, width=90,
                  choices=choices(DecisionRole, {
                      DecisionRole.DECISION_MAKER: N_("Decision maker"),
                      DecisionRole.INFLUENCER: N_("Influencer"),
                      DecisionRole.TECHNICAL: N_("Technical evaluator"),
                      DecisionRole.PROCUREMENT: N_("Procurement"),
                      DecisionRole.USER: N_("User"),
                      DecisionRole.OTHER: N_("Other")})),
        FieldSpec("is_primary", N_("Primary contact"), Kind.BOOL, filterable=True, width=70),
        FieldSpec("notes", N_("Notes"), Kind.LONG_TEXT, listed=False),
        CREATED,
    ),
    searchable=True, search_fields=("name", "mobile", "phone", "email"), icon="contact",
    nav=Nav(SALES, 20),
))

ACTIVITY = register(EntitySpec(
    key="activity", path="activities",
    label=N_("Follow-up"), label_plural=N_("Follow-ups"),
    read=ActivityRead, create=ActivityCreate, update=ActivityUpdate,
    fields=(
        FieldSpec("occurred_at", N_("Time"), Kind.DATETIME, sortable=True, width=130),
        FieldSpec("type", N_("Type"), Kind.CHOICE, filterable=True, width=80,
                  choices=choices(ActivityType, {
                      ActivityType.CALL: N_("Call"), ActivityType.VISIT: N_("Visit"),
                      ActivityType.MEETING: N_("Meeting"), ActivityType.EMAIL: N_("E-mail"),
                      ActivityType.TECHNICAL: N_("Technical exchange")})),
        FieldSpec("customer_id", N_("Customer"), Kind.REF, ref="customer",
                  display="customer_name", required=True, filterable=True, width=200),
        FieldSpec("contact_id", N_("Contact"), Kind.REF, ref="contact", display="contact_name",
                  filterable=True, width=80),
        FieldSpec("subject", N_("Subject"), required=True, width=240),
        FieldSpec("notes", N_("Notes"), Kind.LONG_TEXT, listed=False),
        FieldSpec("next_follow_up_on", N_("Next follow-up"), Kind.DATE, sortable=True,
                  width=100),
        OWNER,
        CREATED,
    ),
    title_field="subject", default_sort="-occurred_at", icon="activity",
    nav=Nav(SALES, 30),
))

ATTACHMENT = register(EntitySpec(
    key="attachment", path="attachments",
    label=N_("Attachment"), label_plural=N_("Attachments"),
    read=AttachmentRead, create=None, update=AttachmentUpdate,
    fields=(
        FieldSpec("filename", N_("File name"), required=True, sortable=True, width=240),
        FieldSpec("entity", N_("Record type"), editable=False, filterable=True, listed=False),
        FieldSpec("record_id", N_("Record"), Kind.INT, editable=False, filterable=True,
                  listed=False),
        FieldSpec("size", N_("Size"), Kind.INT, editable=False, width=80),
        FieldSpec("content_type", N_("Type"), editable=False, listed=False),
        FieldSpec("owner_id", N_("Uploaded by"), Kind.REF, ref="user", display="owner_name",
                  editable=False, width=90),
        FieldSpec("created_at", N_("Uploaded"), Kind.DATETIME, editable=False, sortable=True,
                  width=140),
    ),
    title_field="filename", default_sort="-created_at", icon="attachment",
))

AUDIT = register(EntitySpec(
    key="audit", path="audit",
    label=N_("Audit entry"), label_plural=N_("Audit log"),
    read=AuditRead, create=None, update=None,
    fields=(
        FieldSpec("at", N_("Time"), Kind.DATETIME, editable=False, filterable=True,
                  width=140),
        FieldSpec("user_id", N_("User"), Kind.REF, ref="user", display="user_name",
                  editable=False, filterable=True, width=90),
        FieldSpec("action", N_("Action"), Kind.CHOICE, editable=False, filterable=True,
                  width=80, choices=(
                      Choice("create", N_("Create")), Choice("update", N_("Change")),
                      Choice("delete", N_("Delete")), Choice("restore", N_("Restore")),
                      Choice("login", N_("Sign-in")),
                      Choice("login_failed", N_("Wrong password")),
                      Choice("logout", N_("Sign-out")),
                      Choice("revoke", N_("Session revoked")),
                      Choice("permission", N_("Permissions changed")))),
        FieldSpec("entity", N_("Record type"), editable=False, filterable=True, width=90),
        FieldSpec("record_id", N_("Record"), Kind.INT, display="record_title",
                  editable=False, filterable=True, width=70),
        FieldSpec("changes", N_("Changes"), Kind.LONG_TEXT, editable=False, width=360),
        FieldSpec("client_address", N_("Address"), editable=False, width=110),
    ),
    title_field="action", default_sort="-id", soft_delete=False, read_only=True,
    icon="audit",
))

JOB = register(EntitySpec(
    key="job", path="jobs",
    label=N_("Job"), label_plural=N_("Jobs"),
    read=JobRead, create=None, update=None,
    fields=(
        FieldSpec("kind", N_("Job"), display="kind_label", editable=False, filterable=True,
                  width=200),
        FieldSpec("state", N_("State"), Kind.CHOICE, editable=False, filterable=True,
                  width=80, choices=choices(JobState, {
                      JobState.QUEUED: N_("Queued"), JobState.RUNNING: N_("Running"),
                      JobState.SUCCEEDED: N_("Succeeded"), JobState.FAILED: N_("Failed"),
                      JobState.CANCELLED: N_("Cancelled")})),
        FieldSpec("started_by_id", N_("Started by"), Kind.REF, ref="user",
                  display="started_by_name", editable=False, filterable=True, width=90),
        FieldSpec("params", N_("Parameters"), Kind.LONG_TEXT, editable=False, listed=False),
        FieldSpec("done", N_("Done"), Kind.INT, editable=False, width=70),
        FieldSpec("total", N_("Total"), Kind.INT, editable=False, width=70),
        FieldSpec("rate", N_("Per second"), Kind.DECIMAL, places=1, editable=False,
                  listed=False),
        FieldSpec("created_at", N_("Queued"), Kind.DATETIME, editable=False, width=140),
        FieldSpec("started_at", N_("Started"), Kind.DATETIME, editable=False, width=140),
        FieldSpec("finished_at", N_("Finished"), Kind.DATETIME, editable=False, width=140),
        FieldSpec("heartbeat_at", N_("Last sign of life"), Kind.DATETIME, editable=False,
                  listed=False),
        FieldSpec("cancel_requested", N_("Cancel requested"), Kind.BOOL, editable=False,
                  listed=False),
        FieldSpec("result", N_("Result"), Kind.LONG_TEXT, editable=False, listed=False),
        FieldSpec("error", N_("Error"), Kind.LONG_TEXT, editable=False, width=300),
    ),
    # Made only by starting a job (POST /jobs) and changed only by running or cancelling
    # it; no navigation page: the client shows jobs in its own panel.
    title_field="kind", default_sort="-id", soft_delete=False, read_only=True, icon="job",
))
