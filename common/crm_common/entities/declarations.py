"""Every business entity, declared once: its fields, its grants for the built-in roles, its
place in the navigation. See docs/entities.md for how to add one."""

from __future__ import annotations

from enum import StrEnum

from crm_common.cleansing.names import company_key
from crm_common.entities.spec import (
    REGISTRY,
    Choice,
    EntitySpec,
    FieldSpec,
    Format,
    Kind,
    Match,
    Nav,
    register,
)
from crm_common.i18n import N_
from crm_common.permissions import (
    DataScope,
    EntityGrant,
    FieldAccess,
    Permissions,
    for_staff,
    grant,
)
from crm_common.schemas.activity import ActivityRead, ActivityType
from crm_common.schemas.attachment import AttachmentRead
from crm_common.schemas.contact import ContactRead, DecisionRole
from crm_common.schemas.customer import CustomerLevel, CustomerRead, CustomerSource, CustomerStatus
from crm_common.schemas.department import DepartmentRead
from crm_common.schemas.imports import HeadingMap, ImportMode, ImportState
from crm_common.schemas.job import JobRead, JobState
from crm_common.schemas.role import RoleRead
from crm_common.schemas.security import AuditRead
from crm_common.schemas.user import NewUser, UserRead

OWN, DEPT, TREE, ALL = DataScope.OWN, DataScope.DEPARTMENT, DataScope.SUBTREE, DataScope.ALL
READ_ONLY, MASKED, HIDDEN = FieldAccess.READ, FieldAccess.MASKED, FieldAccess.HIDDEN
NOTHING = EntityGrant()


def choices(enum: type[StrEnum], labels: dict[StrEnum, str],
            synonyms: dict[StrEnum, tuple[str, ...]] | None = None) -> tuple[Choice, ...]:
    """Choices in declaration order; every member must have a label. ``synonyms``: other
    wordings of a value met in spreadsheets (the import reads them as the value)."""
    more = synonyms or {}
    return tuple(Choice(member.value, labels[member], more.get(member, ()))
                 for member in enum)


SALES = N_("Sales")
ORGANISATION = N_("Organisation")

CREATED = FieldSpec("created_at", N_("Created"), Kind.DATETIME, editable=False, listed=False,
                    sortable=True, width=140, null=False)
UPDATED = FieldSpec("updated_at", N_("Updated"), Kind.DATETIME, editable=False, listed=False,
                    sortable=True, width=140, null=False)
OWNER = FieldSpec("owner_id", N_("Owner"), Kind.REF, ref="user", display="owner_name",
                  filterable=True, width=90,
                  headings=("负责人", "所属销售", "归属销售", "业务员", "销售", "跟进人"))
CUSTOMER_HEADINGS = ("客户名称", "客户", "公司名称", "单位名称", "企业名称", "所属客户", "company")
NOTES = FieldSpec("notes", N_("Notes"), Kind.LONG_TEXT, listed=False, max_length=2000)

DEPARTMENT = register(EntitySpec(
    key="department", path="departments",
    label=N_("Department"), label_plural=N_("Departments"),
    fields=(
        FieldSpec("name", N_("Name"), required=True, sortable=True, width=200,
                  max_length=100),
        FieldSpec("parent_id", N_("Parent department"), Kind.REF, ref="department",
                  display="parent_name", filterable=True, width=160),
        FieldSpec("sort_order", N_("Sort order"), Kind.INT, listed=False, default=0),
        CREATED,
    ),
    roles=for_staff(grant(ALL)),
    read_schema=DepartmentRead, icon="department", nav=Nav(ORGANISATION, 120),
))

# 行业: GB/T 4754-2017's 20 sections (门类 A–T), seeded by migration 0013; administrators
# add, rename or retire entries. A customer's industry is text offered from the active ones.
INDUSTRY = register(EntitySpec(
    key="industry", path="industries",
    label=N_("Industry"), label_plural=N_("Industries"),
    fields=(
        FieldSpec("code", N_("Code"), required=True, sortable=True, unique=True, width=60,
                  max_length=8, placeholder=N_("GB/T 4754 code, e.g. C")),
        FieldSpec("name", N_("Name"), required=True, sortable=True, unique=True, width=240,
                  max_length=64),
        FieldSpec("english_name", N_("English name"), width=240, max_length=100),
        FieldSpec("sort_order", N_("Sort order"), Kind.INT, sortable=True, width=70, default=0),
        FieldSpec("is_active", N_("Active"), Kind.BOOL, filterable=True, width=60,
                  default=True),
        CREATED,
    ),
    roles=for_staff(grant(ALL)),
    default_sort="sort_order", icon="industry", nav=Nav(ORGANISATION, 130),
))

USER = register(EntitySpec(
    key="user", path="users",
    label=N_("User"), label_plural=N_("Users"),
    fields=(
        FieldSpec("username", N_("Username"), required=True, sortable=True, width=120,
                  format=Format.LOGIN, min_length=2, max_length=64, create_only=True,
                  headings=("用户名", "登录名", "账号", "工号", "login")),
        FieldSpec("name", N_("Name"), required=True, sortable=True, width=100, max_length=64,
                  headings=("姓名", "员工姓名", "员工")),
        FieldSpec("department_id", N_("Department"), Kind.REF, ref="department",
                  display="department_name", filterable=True, width=140,
                  headings=("部门", "所属部门")),
        FieldSpec("role_ids", N_("Roles"), Kind.REFS, ref="role", display="role_names",
                  width=160, headings=("角色", "岗位角色")),
        FieldSpec("mobile", N_("Mobile"), width=110, format=Format.MOBILE, max_length=20),
        FieldSpec("email", N_("Email"), width=220, format=Format.EMAIL, max_length=254),
        FieldSpec("is_active", N_("Active"), Kind.BOOL, filterable=True, width=60,
                  default=True),
        FieldSpec("last_login_at", N_("Last sign-in"), Kind.DATETIME, editable=False,
                  width=140),
        FieldSpec("must_change_password", N_("Must change password"), Kind.BOOL,
                  editable=False, listed=False, width=60, null=False),
        CREATED,
    ),
    roles=for_staff(grant(ALL)),
    importable=True, match=(Match("username"),),  # imported by administrators only
    inputs=NewUser, read_schema=UserRead, icon="user", nav=Nav(ORGANISATION, 110),
))

ROLE = register(EntitySpec(
    key="role", path="roles",
    label=N_("Role"), label_plural=N_("Roles"),
    fields=(
        FieldSpec("name", N_("Name"), required=True, sortable=True, width=160, max_length=64),
        FieldSpec("description", N_("Description"), Kind.LONG_TEXT, width=300,
                  max_length=500),
        FieldSpec("key", N_("Built-in role key"), editable=False, listed=False, max_length=32),
        FieldSpec("is_builtin", N_("Built-in"), Kind.BOOL, editable=False, filterable=True,
                  width=60, null=False),
        FieldSpec("permissions", N_("Permissions"), Kind.OBJECT, model=Permissions,
                  listed=False, form=False, null=False),
        CREATED,
    ),
    roles=for_staff(NOTHING),
    read_schema=RoleRead, admin_only_write=True, icon="role",
))

CUSTOMER = register(EntitySpec(
    key="customer", path="customers",
    label=N_("Customer"), label_plural=N_("Customers"),
    fields=(
        FieldSpec("name", N_("Name"), required=True, sortable=True, width=240,
                  placeholder=N_("Full registered company name"), min_length=2,
                  max_length=100, headings=("客户名称", "公司名称", "单位名称", "企业名称",
                                            "客户", "公司", "单位", "company", "customer")),
        FieldSpec("short_name", N_("Short name"), width=100, max_length=64,
                  headings=("客户简称", "公司简称", "简称")),
        FieldSpec("uscc", N_("Unified social credit code"), listed=False, width=160,
                  placeholder=N_("18 characters"), format=Format.USCC, max_length=18,
                  headings=("社会信用代码", "信用代码", "税号", "纳税人识别号", "USCC")),
        FieldSpec("level", N_("Level"), Kind.CHOICE, sortable=True, filterable=True, width=70,
                  headings=("客户级别", "客户等级", "等级", "分级"),
                  default=CustomerLevel.C.value, choices=choices(CustomerLevel, {
                      CustomerLevel.KEY: N_("Key account"), CustomerLevel.A: N_("A"),
                      CustomerLevel.B: N_("B"), CustomerLevel.C: N_("C")}, {
                      CustomerLevel.KEY: ("重点", "重要客户", "VIP", "KA"),
                      CustomerLevel.A: ("A级", "A类"), CustomerLevel.B: ("B级", "B类"),
                      CustomerLevel.C: ("C级", "C类")})),
        FieldSpec("status", N_("Status"), Kind.CHOICE, filterable=True, width=70,
                  headings=("客户状态",),
                  default=CustomerStatus.POTENTIAL.value, choices=choices(CustomerStatus, {
                      CustomerStatus.POTENTIAL: N_("Potential"),
                      CustomerStatus.ACTIVE: N_("Active"),
                      CustomerStatus.DORMANT: N_("Dormant"),
                      CustomerStatus.LOST: N_("Lost")}, {
                      CustomerStatus.POTENTIAL: ("潜在客户", "意向客户", "意向"),
                      CustomerStatus.ACTIVE: ("成交客户", "合作中", "正式客户"),
                      CustomerStatus.DORMANT: ("休眠客户", "沉睡"),
                      CustomerStatus.LOST: ("流失客户", "已流失")})),
        FieldSpec("industry", N_("Industry"), filterable=True, width=100, max_length=64,
                  choices_from="industry", headings=("所属行业", "行业类别")),
        FieldSpec("province", N_("Province"), sortable=True, filterable=True, width=80,
                  max_length=32, format=Format.PROVINCE,
                  headings=("省份", "所在省份", "所在省", "省")),
        FieldSpec("city", N_("City"), filterable=True, width=80, max_length=32,
                  format=Format.CITY, headings=("所在城市", "城市", "市")),
        FieldSpec("district", N_("District"), listed=False, width=80, max_length=32,
                  format=Format.DISTRICT, headings=("区县", "区/县", "县区")),
        FieldSpec("address", N_("Address"), listed=False, width=240, max_length=200,
                  headings=("详细地址", "公司地址", "联系地址", "地址")),
        FieldSpec("phone", N_("Phone"), listed=False, width=120, format=Format.PHONE,
                  max_length=32, headings=("公司电话", "座机", "固定电话", "总机", "电话")),
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
        FieldSpec("tags", N_("Tags"), Kind.TAGS, listed=False, width=160, null=False),
        NOTES,
        FieldSpec("last_activity_at", N_("Last follow-up"), Kind.DATETIME, editable=False,
                  sortable=True, width=130),
        FieldSpec("next_follow_up_on", N_("Next follow-up"), Kind.DATE, editable=False,
                  listed=False, width=100),
        CREATED, UPDATED,
    ),
    roles={
        "sales_manager": grant(TREE, TREE, TREE, TREE, TREE, TREE),
        "sales_rep": grant(OWN, OWN, OWN, OWN, import_=OWN, fields={"owner_id": READ_ONLY}),
        "finance": grant(ALL, export=ALL),
        "service_dispatcher": grant(ALL),
        "service_engineer": grant(ALL, fields={"uscc": MASKED, "notes": HIDDEN,
                                               "tags": HIDDEN}),
    },
    searchable=True,
    search_fields=("name", "short_name", "uscc", "phone", "contact.mobile", "contact.phone"),
    exportable=True, importable=True,
    match=(Match("uscc"), Match("name", company_key, "name_key")),
    read_schema=CustomerRead, icon="customer", nav=Nav(SALES, 10),
))

CONTACT = register(EntitySpec(
    key="contact", path="contacts",
    label=N_("Contact"), label_plural=N_("Contacts"),
    fields=(
        FieldSpec("name", N_("Name"), required=True, sortable=True, width=90, max_length=64,
                  headings=("联系人", "联系人姓名", "姓名", "contact")),
        FieldSpec("customer_id", N_("Customer"), Kind.REF, ref="customer",
                  display="customer_name", required=True, filterable=True, width=220,
                  headings=CUSTOMER_HEADINGS),
        FieldSpec("title", N_("Title"), width=100, max_length=64,
                  headings=("职务", "职位", "岗位", "头衔")),
        FieldSpec("mobile", N_("Mobile"), width=110, format=Format.MOBILE, max_length=20,
                  headings=("手机", "手机号", "手机号码", "移动电话", "联系手机", "mobile phone")),
        FieldSpec("phone", N_("Phone"), listed=False, width=120, format=Format.PHONE,
                  max_length=32, headings=("电话", "座机", "办公电话", "固定电话")),
        FieldSpec("email", N_("Email"), width=220, format=Format.EMAIL, max_length=254,
                  headings=("邮箱", "电子邮箱", "电子邮件", "e-mail")),
        FieldSpec("wechat", N_("WeChat"), listed=False, width=100, max_length=64),
        FieldSpec("decision_role", N_("Decision role"), Kind.CHOICE, filterable=True, width=90,
                  choices=choices(DecisionRole, {
                      DecisionRole.DECISION_MAKER: N_("Decision maker"),
                      DecisionRole.INFLUENCER: N_("Influencer"),
                      DecisionRole.TECHNICAL: N_("Technical evaluator"),
                      DecisionRole.PROCUREMENT: N_("Procurement"),
                      DecisionRole.USER: N_("User"),
                      DecisionRole.OTHER: N_("Other")})),
        FieldSpec("is_primary", N_("Primary contact"), Kind.BOOL, filterable=True, width=70,
                  default=False),
        NOTES,
        CREATED,
    ),
    roles={
        "sales_manager": grant(TREE, TREE, TREE, TREE, TREE, TREE),
        "sales_rep": grant(OWN, OWN, OWN, OWN, import_=OWN),
        "finance": grant(ALL, export=ALL),
        "service_dispatcher": grant(ALL, ALL, ALL),
        "service_engineer": grant(ALL),
    },
    searchable=True, search_fields=("name", "mobile", "phone", "email"),
    exportable=True, importable=True, match=(Match("mobile"),),
    read_schema=ContactRead, icon="contact", nav=Nav(SALES, 20),
))

ACTIVITY = register(EntitySpec(
    key="activity", path="activities",
    label=N_("Follow-up"), label_plural=N_("Follow-ups"),
    fields=(
        FieldSpec("occurred_at", N_("Time"), Kind.DATETIME, sortable=True, width=130,
                  null=False,  # "now" when not given
                  headings=("跟进时间", "拜访时间", "日期", "时间")),
        FieldSpec("type", N_("Type"), Kind.CHOICE, filterable=True, width=80,
                  headings=("跟进方式", "跟进类型", "方式"), default=ActivityType.CALL.value,
                  choices=choices(ActivityType, {
                      ActivityType.CALL: N_("Call"), ActivityType.VISIT: N_("Visit"),
                      ActivityType.MEETING: N_("Meeting"), ActivityType.EMAIL: N_("E-mail"),
                      ActivityType.TECHNICAL: N_("Technical exchange")})),
        FieldSpec("customer_id", N_("Customer"), Kind.REF, ref="customer",
                  display="customer_name", required=True, filterable=True, width=200,
                  headings=CUSTOMER_HEADINGS),
        FieldSpec("contact_id", N_("Contact"), Kind.REF, ref="contact", display="contact_name",
                  filterable=True, width=80, headings=("联系人", "拜访对象")),
        FieldSpec("subject", N_("Subject"), required=True, width=240, max_length=200,
                  headings=("主题", "跟进主题", "跟进内容", "事项")),
        FieldSpec("notes", N_("Notes"), Kind.LONG_TEXT, listed=False, max_length=4000),
        FieldSpec("next_follow_up_on", N_("Next follow-up"), Kind.DATE, sortable=True,
                  width=100, headings=("下次跟进", "下次跟进日期", "下次联系")),
        OWNER,
        CREATED,
    ),
    roles={
        "sales_manager": grant(TREE, TREE, TREE, TREE, TREE, TREE),
        "sales_rep": grant(OWN, OWN, OWN, OWN, import_=OWN),
        "finance": grant(ALL, export=ALL),
        "service_dispatcher": grant(ALL, ALL, OWN, OWN),
        "service_engineer": grant(OWN, OWN, OWN, OWN),
    },
    read_schema=ActivityRead, title_field="subject", default_sort="-occurred_at",
    exportable=True, importable=True,
    icon="activity", nav=Nav(SALES, 30),
))

ATTACHMENT = register(EntitySpec(
    key="attachment", path="attachments",
    label=N_("Attachment"), label_plural=N_("Attachments"),
    fields=(
        FieldSpec("filename", N_("File name"), required=True, sortable=True, width=240,
                  max_length=200),
        FieldSpec("entity", N_("Record type"), editable=False, filterable=True, listed=False,
                  max_length=32, null=False),
        FieldSpec("record_id", N_("Record"), Kind.INT, editable=False, filterable=True,
                  listed=False, null=False),
        FieldSpec("size", N_("Size"), Kind.INT, editable=False, width=80, null=False),
        FieldSpec("content_type", N_("Type"), editable=False, listed=False, max_length=100,
                  null=False),
        FieldSpec("owner_id", N_("Uploaded by"), Kind.REF, ref="user", display="owner_name",
                  editable=False, width=90),
        FieldSpec("created_at", N_("Uploaded"), Kind.DATETIME, editable=False, sortable=True,
                  width=140, null=False),
    ),
    roles={
        "sales_manager": grant(ALL, ALL, TREE, TREE),
        **{key: grant(ALL, ALL, OWN, OWN) for key in (
            "sales_rep", "finance", "service_dispatcher", "service_engineer")},
    },
    creatable=False, read_schema=AttachmentRead, title_field="filename",
    default_sort="-created_at", icon="attachment",
))

AUDIT = register(EntitySpec(
    key="audit", path="audit",
    label=N_("Audit entry"), label_plural=N_("Audit log"),
    fields=(
        FieldSpec("at", N_("Time"), Kind.DATETIME, editable=False, filterable=True,
                  width=140, null=False),
        FieldSpec("user_id", N_("User"), Kind.REF, ref="user", display="user_name",
                  editable=False, filterable=True, width=90),
        FieldSpec("action", N_("Action"), Kind.CHOICE, editable=False, filterable=True,
                  width=80, null=False, choices=(
                      Choice("create", N_("Create")), Choice("update", N_("Change")),
                      Choice("delete", N_("Delete")), Choice("restore", N_("Restore")),
                      Choice("login", N_("Sign-in")),
                      Choice("login_failed", N_("Wrong password")),
                      Choice("logout", N_("Sign-out")),
                      Choice("revoke", N_("Session revoked")),
                      Choice("permission", N_("Permissions changed")),
                      Choice("export", N_("Export")), Choice("import", N_("Import")))),
        FieldSpec("entity", N_("Record type"), editable=False, filterable=True, width=90,
                  max_length=32),
        FieldSpec("record_id", N_("Record"), Kind.INT, display="record_title",
                  editable=False, filterable=True, width=70),
        FieldSpec("changes", N_("Changes"), Kind.OBJECT, editable=False, width=360,
                  null=False),
        FieldSpec("client_address", N_("Address"), editable=False, width=110, max_length=64),
    ),
    roles=for_staff(NOTHING),
    read_schema=AuditRead, title_field="action", default_sort="-id", soft_delete=False,
    read_only=True, icon="audit",
    nav=Nav(ORGANISATION, 190),  # for auditors; administrators read it in the console
))

PRODUCT = register(EntitySpec(
    key="product", path="products",
    label=N_("Product"), label_plural=N_("Products"),
    fields=(
        FieldSpec("code", N_("Code"), required=True, sortable=True, width=110, max_length=32,
                  unique=True, placeholder=N_("Product code, e.g. EQ-3000"),
                  headings=("产品编码", "产品编号", "物料编码", "物料号", "货号", "编码")),
        FieldSpec("name", N_("Name"), required=True, sortable=True, width=220, max_length=100,
                  headings=("产品名称", "品名", "名称")),
        FieldSpec("type", N_("Type"), Kind.CHOICE, sortable=True, filterable=True, width=80,
                  default="equipment", choices=(
                      Choice("equipment", N_("Equipment"), ("整机", "设备类")),
                      Choice("spare_part", N_("Spare part"), ("配件", "备品备件", "耗材")),
                      Choice("service", N_("Service item"), ("服务项目", "服务类")))),
        FieldSpec("specification", N_("Model / specification"), width=160, max_length=100,
                  headings=("规格型号", "型号", "规格")),
        FieldSpec("unit", N_("Unit"), width=50, max_length=16,
                  placeholder=N_("e.g. unit, set, piece, visit")),
        FieldSpec("list_price", N_("List price"), Kind.PRICE, width=110, minimum=0,
                  headings=("单价", "标准价", "价格", "售价", "报价")),
        FieldSpec("cost", N_("Cost"), Kind.PRICE, width=110, minimum=0),
        FieldSpec("tax_rate", N_("Tax rate"), Kind.PERCENT, width=70, minimum=0, maximum=100,
                  default=13),
        FieldSpec("warranty_months", N_("Warranty (months)"), Kind.INT, listed=False,
                  headings=("保修月数", "保修期", "质保期"),
                  minimum=0, maximum=600),
        FieldSpec("is_active", N_("Active"), Kind.BOOL, filterable=True, width=60,
                  default=True),
        NOTES,
        CREATED, UPDATED,
    ),
    roles={
        "sales_manager": grant(ALL, ALL, ALL, ALL, ALL, ALL),
        "sales_rep": grant(ALL, fields={"cost": HIDDEN}),
        "finance": grant(ALL, update=ALL, export=ALL),
        "service_dispatcher": grant(ALL, fields={"cost": HIDDEN}),
        "service_engineer": grant(ALL, fields={"cost": HIDDEN}),
    },
    searchable=True, search_fields=("name", "code", "specification"),
    default_sort="code", exportable=True, importable=True, icon="product",
    nav=Nav(SALES, 40),
))

JOB_STATES = choices(JobState, {
    JobState.QUEUED: N_("Queued"), JobState.RUNNING: N_("Running"),
    JobState.SUCCEEDED: N_("Succeeded"), JobState.FAILED: N_("Failed"),
    JobState.CANCELLED: N_("Cancelled")})

JOB = register(EntitySpec(
    key="job", path="jobs",
    label=N_("Job"), label_plural=N_("Jobs"),
    fields=(
        FieldSpec("kind", N_("Job"), display="kind_label", editable=False, filterable=True,
                  width=200, max_length=64, null=False),
        FieldSpec("state", N_("State"), Kind.CHOICE, editable=False, filterable=True,
                  width=80, null=False, choices=JOB_STATES),
        # Empty for a job the scheduler queued (``kit.scheduler``): the system's own.
        FieldSpec("started_by_id", N_("Started by"), Kind.REF, ref="user",
                  display="started_by_name", editable=False, filterable=True, width=90),
        FieldSpec("params", N_("Parameters"), Kind.OBJECT, editable=False, listed=False,
                  null=False),
        FieldSpec("done", N_("Done"), Kind.INT, editable=False, width=70, null=False),
        FieldSpec("total", N_("Total"), Kind.INT, editable=False, width=70),
        FieldSpec("rate", N_("Per second"), Kind.DECIMAL, places=1, editable=False,
                  listed=False),
        FieldSpec("created_at", N_("Queued"), Kind.DATETIME, editable=False, width=140,
                  null=False),
        FieldSpec("started_at", N_("Started"), Kind.DATETIME, editable=False, width=140),
        FieldSpec("finished_at", N_("Finished"), Kind.DATETIME, editable=False, width=140),
        FieldSpec("heartbeat_at", N_("Last sign of life"), Kind.DATETIME, editable=False,
                  listed=False),
        FieldSpec("cancel_requested", N_("Cancel requested"), Kind.BOOL, editable=False,
                  listed=False, null=False),
        FieldSpec("result", N_("Result"), Kind.OBJECT, editable=False, listed=False),
        FieldSpec("error", N_("Error"), Kind.LONG_TEXT, editable=False, width=300),
    ),
    # Everyone sees the jobs they started (administrators and auditors all of them, the
    # system's too).
    roles=for_staff(grant(OWN)),
    # Made only by starting a job (POST /jobs) and changed only by running or cancelling
    # it; no navigation page: the client shows jobs in its own panel.
    read_schema=JobRead, title_field="kind", default_sort="-id", soft_delete=False,
    read_only=True, icon="job",
))

# 定时任务: the server's periodic tasks (``crm_server.kit.scheduler``), one row per task
# declared in code; administrators read when each runs and ran, and change its schedule.
SCHEDULED_TASK = register(EntitySpec(
    key="scheduled_task", path="scheduled-tasks",
    label=N_("Scheduled task"), label_plural=N_("Scheduled tasks"),
    fields=(
        FieldSpec("name", N_("Task"), display="label", editable=False, sortable=True,
                  width=200, max_length=64, null=False, translated=True),
        FieldSpec("schedule", N_("Schedule"), format=Format.SCHEDULE, width=130, max_length=32,
                  placeholder=N_("daily 02:00, weekly sun 03:00, every 15m or off; "
                                 "empty: the default")),
        FieldSpec("effective_schedule", N_("Runs"), editable=False, stored=False, width=130,
                  format=Format.SCHEDULE),
        FieldSpec("default_schedule", N_("Default schedule"), editable=False, stored=False,
                  width=130, format=Format.SCHEDULE),
        FieldSpec("enabled", N_("Enabled"), Kind.BOOL, editable=False, stored=False,
                  width=60),
        FieldSpec("next_run_at", N_("Next run"), Kind.DATETIME, editable=False, stored=False,
                  width=140),
        FieldSpec("last_slot", N_("Last due"), Kind.DATETIME, editable=False, listed=False),
        FieldSpec("last_job_id", N_("Last job"), Kind.INT, editable=False, listed=False),
        FieldSpec("last_state", N_("Last run"), Kind.CHOICE, editable=False, stored=False,
                  width=80, choices=JOB_STATES),
        FieldSpec("last_finished_at", N_("Last run finished"), Kind.DATETIME, editable=False,
                  stored=False, width=140),
        FieldSpec("last_error", N_("Last error"), Kind.LONG_TEXT, editable=False,
                  stored=False, width=240, translated=True),
        FieldSpec("last_result", N_("Last result"), Kind.OBJECT, editable=False,
                  stored=False, listed=False),
        CREATED,
    ),
    # Administrators only (auditors read): a task may not be made or deleted, only its
    # schedule changed ("off" stops it).
    roles=for_staff(NOTHING), admin_only_write=True, creatable=False,
    title_field="name", default_sort="name", icon="history", nav=Nav(ORGANISATION, 185),
))

IMPORT_BATCH = register(EntitySpec(
    key="import_batch", path="imports",
    label=N_("Import"), label_plural=N_("Imports"),
    fields=(
        FieldSpec("entity", N_("Record type"), editable=False, filterable=True, width=90,
                  max_length=32, null=False),
        FieldSpec("file_name", N_("File name"), editable=False, width=220,
                  max_length=255, null=False),
        FieldSpec("size", N_("Size"), Kind.INT, editable=False, width=80, null=False),
        FieldSpec("sha256", N_("SHA-256"), editable=False, listed=False, max_length=64,
                  null=False),
        FieldSpec("state", N_("State"), Kind.CHOICE, editable=False, filterable=True,
                  width=80, null=False, choices=choices(ImportState, {
                      ImportState.UPLOADED: N_("Uploaded"),
                      ImportState.CHECKING: N_("Checking"),
                      ImportState.CHECKED: N_("Checked"), ImportState.RUNNING: N_("Running"),
                      ImportState.DONE: N_("Done"), ImportState.FAILED: N_("Failed"),
                      ImportState.CANCELLED: N_("Cancelled"),
                      ImportState.UNDONE: N_("Undone")})),
        FieldSpec("sheet", N_("Sheet"), editable=False, listed=False, max_length=255),
        FieldSpec("header_row", N_("Header row"), Kind.INT, editable=False, listed=False),
        FieldSpec("mapping", N_("Mapping"), Kind.OBJECT, editable=False, listed=False),
        FieldSpec("mode", N_("Duplicates"), Kind.CHOICE, editable=False, width=80,
                  choices=choices(ImportMode, {
                      ImportMode.SKIP: N_("Skip duplicates"),
                      ImportMode.UPDATE: N_("Update existing"),
                      ImportMode.CREATE: N_("Create anyway")})),
        FieldSpec("atomic", N_("All or nothing"), Kind.BOOL, editable=False, listed=False,
                  null=False),
        FieldSpec("total_rows", N_("Rows"), Kind.INT, editable=False, width=70, null=False),
        FieldSpec("new_rows", N_("Rows created"), Kind.INT, editable=False, width=70,
                  null=False),
        FieldSpec("updated_rows", N_("Rows updated"), Kind.INT, editable=False, width=70,
                  null=False),
        FieldSpec("skipped_rows", N_("Rows skipped"), Kind.INT, editable=False, width=70,
                  null=False),
        FieldSpec("error_rows", N_("Rows with errors"), Kind.INT, editable=False, width=70,
                  null=False),
        FieldSpec("empty_rows", N_("Empty rows"), Kind.INT, editable=False, listed=False,
                  null=False),
        FieldSpec("job_id", N_("Job"), Kind.INT, editable=False, listed=False),
        FieldSpec("owner_id", N_("Imported by"), Kind.REF, ref="user", display="owner_name",
                  editable=False, filterable=True, width=90, null=False),
        FieldSpec("created_at", N_("Uploaded"), Kind.DATETIME, editable=False, width=140,
                  null=False),
        FieldSpec("finished_at", N_("Finished"), Kind.DATETIME, editable=False, width=140),
    ),
    # Everyone sees their own imports (administrators and auditors all of them).
    roles=for_staff(grant(OWN)),
    # Made by uploading a file and changed only by its jobs (check, import, undo).
    title_field="file_name", default_sort="-id", soft_delete=False, read_only=True,
    icon="import", nav=Nav(ORGANISATION, 180),
))

IMPORT_MAPPING = register(EntitySpec(
    key="import_mapping", path="import-mappings",
    label=N_("Import mapping"), label_plural=N_("Import mappings"),
    fields=(
        FieldSpec("name", N_("Name"), required=True, sortable=True, width=200, max_length=64),
        FieldSpec("entity", N_("Record type"), Kind.CHOICE, required=True, filterable=True,
                  width=90, choices=tuple(Choice(spec.key, spec.label_plural)
                                          for spec in REGISTRY.values() if spec.importable)),
        # Heading text → field name: applies to any file whose columns bear those headings.
        FieldSpec("columns", N_("Columns"), Kind.OBJECT, model=HeadingMap, listed=False,
                  form=False, null=False),
        OWNER,
        CREATED,
    ),
    # Shared templates: everyone may use them, each person keeps their own.
    roles=for_staff(grant(ALL, OWN, OWN, OWN)),
    icon="import",
))
