"""Every callback-data format the bot's buttons carry: its builder, its parser and the pattern its
handler registers with. Nothing else in the bot writes or splits callback strings.

The wire formats are frozen: buttons already sitting in users' chats must keep working, so a
format is only ever added, never changed. Telegram limits callback data to 64 bytes; `build`
refuses anything longer. `parse` returns a NamedTuple of the fields, or None for data that is
malformed or forged (a wrong shape, a quarter outside 1..4, an id beyond what an INTEGER primary key
holds), so a handler answers «stale button» instead of crashing.
"""

from __future__ import annotations

import re
from typing import Any
from typing import NamedTuple

from models.base import INTEGER_MAX

LIMIT = 64  # bytes of callback_data Telegram accepts
MAX_ID = INTEGER_MAX  # ids are INTEGER primary keys: a bigger "id" is forged (PostgreSQL refuses to look it up)


class _Field(NamedTuple):
    regex: str  # in the registration pattern and the parser
    kind: type  # int or str
    check: Any = None  # extra validation of the converted value


ID = _Field(r"\d+", int, lambda v: v <= MAX_ID)
QUARTER = _Field(r"\d", int, lambda v: 1 <= v <= 4)
DIGIT = _Field(r"\d", int)  # a quarter the handler itself checks (falls back to the reporting quarter)
PAGE = _Field(r"-?\d+", int, lambda v: abs(v) <= MAX_ID)
FLAG = _Field(r"[01]", int)
TOKEN = _Field(r"[0-9A-Za-z_-]+", str)


def choice(*words: str) -> _Field:
    return _Field("(?:" + "|".join(map(re.escape, words)) + ")", str)


class Format:
    """One button's data: a template such as ``usr:adm:{person}:{on}`` with a field spec per name
    (ID unless given). ``build(**fields)`` → str, ``parse(data)`` → NamedTuple | None, ``pattern``."""

    def __init__(self, name: str, template: str, **fields: _Field):
        self.template = template
        names = re.findall(r"{(\w+)}", template)
        self.fields = {n: fields.get(n, ID) for n in names}
        self.type = NamedTuple(name, [(n, f.kind) for n, f in self.fields.items()])
        self.type.__bool__ = lambda _: True  # `if fmt.parse(data):` holds for a format without fields too
        parts = re.split(r"{\w+}", template)
        body = "".join(re.escape(p) + (f"({self.fields[n].regex})" if i < len(names) else "")
                       for i, (p, n) in enumerate(zip(parts, [*names, ""], strict=True)))
        self.regex = re.compile(body)
        self.pattern = f"^{body}$"

    def build(self, **values: Any) -> str:
        data = self.template.format(**values)
        if self.parse(data) is None or len(data.encode()) > LIMIT:
            raise ValueError(f"not valid callback data: {data!r}")
        return data

    def parse(self, data: str | None) -> Any:
        m = self.regex.fullmatch(data or "")
        if m is None:
            return None
        values = []
        for raw, field in zip(m.groups(), self.fields.values(), strict=True):
            value = field.kind(raw)
            if field.check is not None and not field.check(value):
                return None
            values.append(value)
        return self.type(*values)


def prefix(*names: str) -> str:
    """A catch-all pattern for one or more prefixes (`^lp:`, `^(imp|tg):`): stale-button handlers."""
    return f"^{names[0]}:" if len(names) == 1 else "^(" + "|".join(names) + "):"


# -- reminders and /status: «Lapor sekarang» -------------------------------------------------------
REPORT = Format("Report", "lapor:{kegiatan}")
REPORT_OUTCOMES = Format("ReportOutcomes", "lapor:o")  # the IKU and program indicators the person reports

# -- /lapor conversation -----------------------------------------------------------------------------
LP = "lp"
LP_KEGIATAN = Format("LpKegiatan", "lp:k:{kegiatan}:{quarter}", quarter=DIGIT)
LP_QUARTER = Format("LpQuarter", "lp:q:{quarter}", quarter=DIGIT)
LP_AKSI = Format("LpAksi", "lp:a:{choice}", choice=choice("eq", "0", "skip", "all"))
LP_AKSI_CONFIRM = Format("LpAksiConfirm", "lp:{choice}", choice=choice("ok", "redo"))
LP_BUDGET_ZERO = Format("LpBudgetZero", "lp:b:0")
LP_BUDGET_CONFIRM = Format("LpBudgetConfirm", "lp:{choice}", choice=choice("bok", "bredo"))
LP_INDICATOR_SKIP = Format("LpIndicatorSkip", "lp:i:skip")
LP_NONE = Format("LpNone", "lp:n:{key}", key=choice("kendala", "tindak", "pendorong", "all"))
LP_EVIDENCE_DONE = Format("LpEvidenceDone", "lp:e:done")
LP_SAVE = Format("LpSave", "lp:save:{token}", token=TOKEN)
LP_SAVE_ANY = "^lp:save:"  # a save press whatever its token: answered even when the draft is gone
LP_EDIT = Format("LpEdit", "lp:edit")
LP_EDIT_ITEM = Format("LpEditItem", "lp:ed:{what}:{index}", what=choice("a", "i"), index=PAGE)
LP_EDIT_PART = Format("LpEditPart", "lp:ed:{what}", what=choice("b", "n", "t", "p", "e", "back"))
LP_EDIT_ANY = "^lp:ed:"
LP_CANCEL = Format("LpCancel", "lp:x")
LP_NEXT = Format("LpNext", "lp:nx:{kegiatan}:{quarter}", quarter=DIGIT)  # «Lanjut ke kegiatan berikutnya» after Simpan
# The IKU and program indicators the PIC reports: the list's item, the question's buttons, their edit menu.
LP_OUTCOMES = Format("LpOutcomes", "lp:o:{quarter}", quarter=DIGIT)
LP_OUTCOME = Format("LpOutcome", "lp:oc:{choice}", choice=choice("eq", "skip"))
LP_OUTCOME_CONFIRM = Format("LpOutcomeConfirm", "lp:oc:{choice}", choice=choice("ok", "redo"))
LP_EDIT_OUTCOME = Format("LpEditOutcome", "lp:eo:{index}", index=PAGE)
# A PIC of several OPD: /lapor's list per OPD names its plan (the indicators of that plan, another quarter of it).
LP_PLAN_OUTCOMES = Format("LpPlanOutcomes", "lp:po:{plan}:{quarter}", quarter=DIGIT)
LP_PLAN_QUARTER = Format("LpPlanQuarter", "lp:pq:{plan}:{quarter}", quarter=DIGIT)

# -- /cuti ---------------------------------------------------------------------------------------------
CUTI = "cuti"
CUTI_END = Format("CutiEnd", "cuti:end")
CUTI_CANCEL = Format("CutiCancel", "cuti:x")

# -- leadership digest drill-down ------------------------------------------------------------------------
RK = "rk"
DRILL = Format("Drill", "rk:{kind}:{ident}:{quarter}", kind=choice("d", "p", "k"), quarter=QUARTER)
# On a kegiatan card (handlers/feedback.py): its evidence, «Tanggapi», «Ingatkan» one of its PICs.
RK_EVIDENCE = Format("RkEvidence", "rk:e:{kegiatan}:{quarter}", quarter=QUARTER)
RK_RESPOND = Format("RkRespond", "rk:t:{kegiatan}:{quarter}", quarter=QUARTER)
RK_NUDGE = Format("RkNudge", "rk:n:{person}:{kegiatan}:{quarter}", quarter=QUARTER)

# -- /rekap (the kabupaten role): one OPD's digest, back to the rekap, the kabupaten workbook ------------
RKP = "rkp"
REKAP_OPD = Format("RekapOpd", "rkp:o:{agency}:{quarter}", quarter=QUARTER)
REKAP_BACK = Format("RekapBack", "rkp:r:{quarter}", quarter=QUARTER)
REKAP_XLSX = Format("RekapXlsx", "rkp:x:{quarter}", quarter=QUARTER)

# -- /instansi: the agency a person with roles in several acts as (checked: one they belong to) -------------
INS = "ins"
ACT_AGENCY = Format("ActAgency", "ins:p:{agency}")

# -- /pic and /undang -----------------------------------------------------------------------------------
PIC = "pic"
PIC_PEOPLE_PAGE = Format("PicPeoplePage", "pic:ppg:{page}", page=PAGE)
PIC_PERSON = Format("PicPerson", "pic:p:{person}")
PIC_PROGRAM = Format("PicProgram", "pic:g:{person}:{program}")
PIC_TOGGLE = Format("PicToggle", "pic:t:{person}:{kegiatan}")
PIC_IKU = Format("PicIku", "pic:s:{person}")  # the plan's IKU (indikator sasaran) for the person
# Give or take an IKU (`s`) or a program indicator (`p`), by its id.
PIC_OUTCOME = Format("PicOutcome", "pic:o:{person}:{kind}:{indicator}", kind=choice("s", "p"))
PIC_DONE = Format("PicDone", "pic:x")
INV = "inv"
INV_PEOPLE_PAGE = Format("InvPeoplePage", "inv:ppg:{page}", page=PAGE)
INV_PERSON = Format("InvPerson", "inv:p:{person}")

# -- /pengguna ------------------------------------------------------------------------------------------
USR = "usr"
USR_PAGE = Format("UsrPage", "usr:pg:{page}", page=PAGE)
USR_PERSON = Format("UsrPerson", "usr:p:{person}")
USR_ADMIN = Format("UsrAdmin", "usr:adm:{person}:{on}", on=FLAG)
USR_PAUSE = Format("UsrPause", "usr:pz:{person}:{until}")  # until: YYYYMMDD, 0 resumes

USR_VERIFIER = Format("UsrVerifier", "usr:ver:{person}:{on}", on=FLAG)

# -- /verifikasi: a report is one kegiatan in one quarter -------------------------------------------------
VF = "vf"
VF_ACCEPT = Format("VfAccept", "vf:a:{kegiatan}:{quarter}", quarter=QUARTER)
VF_RETURN = Format("VfReturn", "vf:r:{kegiatan}:{quarter}", quarter=QUARTER)
VF_NEXT = Format("VfNext", "vf:n:{kegiatan}:{quarter}", quarter=QUARTER)  # the card after this one
VF_ALL = Format("VfAll", "vf:all")  # «Terima semua yang sesuai target»: asks to confirm
VF_ALL_OK = Format("VfAllOk", "vf:allok")
VF_CANCEL = Format("VfCancel", "vf:x")

# -- /impor ---------------------------------------------------------------------------------------------
IMP = "imp"
IMP_PAGE = Format("ImpPage", "imp:pg:{page}", page=PAGE)
IMP_APPLY = Format("ImpApply", "imp:ok:{token}", token=TOKEN)
IMP_APPLY_ANY = "^imp:ok:"
IMP_FORCE = Format("ImpForce", "imp:f:{token}", token=TOKEN)  # apply although the merge was refused
IMP_FORCE_ANY = "^imp:f:"
IMP_SHEET = Format("ImpSheet", "imp:sh:{token}:{index}", token=TOKEN)  # which worksheet of the upload to read
IMP_SHEET_ANY = "^imp:sh:"
IMP_CANCEL = Format("ImpCancel", "imp:x")

# -- /target ---------------------------------------------------------------------------------------------
TG = "tg"
TG_CELL = Format("TgCell", "tg:q:{aksi}:{quarter}", quarter=QUARTER)
TG_SAVE = Format("TgSave", "tg:ok:{token}", token=TOKEN)
TG_SAVE_ANY = "^tg:ok:"
TG_BROWSE_ANY = r"^tg:(pp|p|kp|k|a):"
TG_PICK_ANY = r"^tg:(q:\d+:\d|i:\d+)$"
TG_MEASURE = Format("TgMeasure", "tg:m:{what}:{item}", what=choice("a", "i"))  # 📏 how an aksi/indicator is measured
TG_MODE = Format("TgMode", "tg:mm:{what}:{item}:{mode}", what=choice("a", "i"),
                 mode=choice("increment", "level", "negative"))
TG_SPLIT = Format("TgSplit", "tg:sp:{what}:{item}", what=choice("i"))  # ✂️ split a packed indicator
TG_SPLIT_OK = Format("TgSplitOk", "tg:spk:{item}")  # ✅ the importer's proposal of parts
TG_RENAME = Format("TgRename", "tg:rn:{what}:{item}", what=choice("k", "a", "i"))  # ✏️ rename a kegiatan/aksi/indicator

# -- /riwayat --------------------------------------------------------------------------------------------
RW = "rw"
RW_HISTORY = Format("RwHistory", "rw:{entity}:{item}", entity=choice("a", "i", "g"))

# -- /kunci and /buka: `lk:<L|U><quarter>` is the browsing prefix -------------------------------------------
LK = "lk"
LOCK_SCOPE = Format("LockScope", "lk:{op}{quarter}", op=choice("L", "U"), quarter=QUARTER)
LOCK_APPLY = Format("LockApply", "lk:{op}{quarter}:ok:{kegiatan}", op=choice("L", "U"), quarter=QUARTER)


def cancel_pattern(*names: str) -> str:
    """`^(imp|tg):x$`: the cancel button of these flows."""
    return "^(" + "|".join(names) + "):x$"


class Step(NamedTuple):
    """A press on a plan-browsing button: the action and its numbers."""

    action: str  # pp (program page) / p (program) / kp (kegiatan page) / k / a / i / g / x
    ids: tuple[int, ...]


_BROWSE_ARITY = {"pp": 1, "p": 1, "kp": 2, "k": 1, "a": 1, "i": 1, "g": 1, "x": 0}


class Browse:
    """Plan browsing program → kegiatan → aksi / indicator under one prefix (`tg`, `rw`, `lk:L2`):
    `<prefix>:p:<program>`, `:pp:<page>`, `:kp:<program>:<page>`, `:k:<kegiatan>`, `:a:<aksi>`,
    `:i:<indicator>`, `:g:<kegiatan>` (the kegiatan itself), `:x` (close)."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def _data(self, action: str, *ids: int) -> str:
        data = ":".join([self.prefix, action, *map(str, ids)])
        if len(data.encode()) > LIMIT:
            raise ValueError(f"callback data over {LIMIT} bytes: {data!r}")
        return data

    def program(self, program_id: int) -> str:
        return self._data("p", program_id)

    def programs_page(self, page: int) -> str:
        return self._data("pp", page)

    def kegiatan_page(self, program_id: int, page: int) -> str:
        return self._data("kp", program_id, page)

    def kegiatan(self, kegiatan_id: int) -> str:
        return self._data("k", kegiatan_id)

    def aksi(self, aksi_id: int) -> str:
        return self._data("a", aksi_id)

    def indicator(self, indicator_id: int) -> str:
        return self._data("i", indicator_id)

    def whole(self, kegiatan_id: int) -> str:
        return self._data("g", kegiatan_id)

    def close(self) -> str:
        return self._data("x")

    def parse(self, data: str | None) -> Step | None:
        head = self.prefix + ":"
        if not (data or "").startswith(head):
            return None
        action, *rest = data[len(head):].split(":")
        if _BROWSE_ARITY.get(action) != len(rest):
            return None
        ids = []
        for part in rest:
            if not re.fullmatch(PAGE.regex, part) or abs(value := int(part)) > MAX_ID:
                return None
            ids.append(value)
        if action != "pp" and action != "kp" and any(i < 0 for i in ids):
            return None
        return Step(action, tuple(ids))


# -- what a button names (handlers.auth checks it is of the agency the presser acts in) ------------------

FORMATS = [value for value in list(globals().values()) if isinstance(value, Format)]
_ITEM = {"a": "aksi", "i": "indicator", "k": "kegiatan", "g": "kegiatan", None: "indicator"}
_IDENT = {"d": "plan", "p": "program", "k": "kegiatan"}
_OUTCOME = {"s": "goal_indicator", "p": "program_indicator"}


def named_ids(data: str | None) -> dict[str, int]:
    """The people and plan items a button's data names — person, plan, program, kegiatan, aksi, indicator,
    goal_indicator, program_indicator — as keywords of bot.domain.agencies `names_only_agency`; {} when
    it names none (or is no Format's)."""
    for fmt in FORMATS:
        press = fmt.parse(data)
        if press is None:
            continue
        values = press._asdict()
        ids = {name: values[name] for name in ("person", "plan", "kegiatan", "program", "aksi") if values.get(name)}
        if "item" in values:
            ids[_ITEM[values.get("what") or values.get("entity")]] = values["item"]
        if "ident" in values:
            ids[_IDENT[values["kind"]]] = values["ident"]
        if "indicator" in values and values.get("kind") in _OUTCOME:
            ids[_OUTCOME[values["kind"]]] = values["indicator"]
        return ids
    return {}
