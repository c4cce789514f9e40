"""The spec's uploadFile object as a form row: an upload becomes a StoredFile as soon as the form is
validated (so it survives an error elsewhere in the form), and the row's fileName, fileSize and
fileCategory are always taken from the stored file, never from what the browser sent."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from markupsafe import Markup, escape
from werkzeug.datastructures import FileStorage
from wtforms import Field
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import html_params

from app.db import get_session
from app.files import sniff
from app.files.models import StoredFile
from app.files.service import FileRejected, file_type_limit, human_size, save_upload, wire_size
from app.site.ids import parse_id
from app.spec import fields as f
from app.spec.form import SpecRow

COVER_TYPE = 3
COVER_CATEGORIES = ("jpg", "jpeg", "png")


@dataclass(frozen=True)
class Owner:
    """The record an upload belongs to: its region and organisation decide who may download it."""

    region_code: str
    credit_code: str | None
    user_id: int | None


_owner: ContextVar[Owner | None] = ContextVar("upload_owner", default=None)


@contextmanager
def uploads_for(owner: Owner) -> Iterator[None]:
    """Uploads validated inside this block are stored for `owner`."""
    token = _owner.set(owner)
    try:
        yield
    finally:
        _owner.reset(token)


_trusted: ContextVar[bool] = ContextVar("stored_files_trusted", default=False)


@contextmanager
def trusted_stored_files() -> Iterator[None]:
    """Inside this block a stored file's number is accepted whoever owns it (the push client's pre-flight
    check of an approved record, whose files were checked when it was saved): it must still exist."""
    token = _trusted.set(True)
    try:
        yield
    finally:
        _trusted.reset(token)


def _visible_to(stored: StoredFile, owner: Owner | None) -> bool:
    if _trusted.get():
        return True
    return owner is not None and stored.owner_region == owner.region_code and stored.owner_credit == owner.credit_code


class _FileWidget:
    """<input type=file> plus the id of the file already stored (same name), and what it is."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        html = [f"<input {html_params(type='file', name=field.name, **kwargs)}>"]
        if field.data is not None:
            html.append(f"<input {html_params(type='hidden', name=field.name, value=int(field.data))}>")
            html.append(f'<span class="hint">已上传：{escape(field.description_text)}</span>')
        return Markup("".join(html))


class StoredFileField(Field):
    """The spec's `file`: an <input type=file>, plus the id of the file already stored for this row.

    `data` is a StoredFile id. Both inputs post under the same name, so the row keeps its file when the
    form comes back with an error and the user does not choose it again.
    """

    widget = _FileWidget()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.upload: FileStorage | None = None
        self.stored: StoredFile | None = None
        self._outcome: list | None = None

    def validate(self, form, extra_validators=()):
        """Validated once per request: the row validates the file before its other fields (see below)."""
        if self._outcome is None:
            super().validate(form, extra_validators)
            self._outcome = list(self.errors)
        self.errors = list(self._outcome)
        return not self.errors

    def process_formdata(self, valuelist):
        self.upload = next((v for v in valuelist if isinstance(v, FileStorage) and v.filename), None)
        posted = [v for v in valuelist if isinstance(v, str | int) and str(v).strip()]
        self.data = parse_id(posted[-1]) if posted else None
        if posted and self.data is None:
            # Shown beside the field; a number SQLite cannot hold must never reach a query.
            raise ValueError("文件编号无效，请重新上传文件。")

    def _value(self):
        return ""

    def pre_validate(self, form):
        owner = _owner.get()
        file_type = form.fileType.data
        if self.upload is not None:
            if file_type is None:
                raise StopValidation("请先选择文件类型，再上传文件。")
            try:
                self.stored = save_upload(self.upload, file_type=file_type, owner_region=owner.region_code,
                                          owner_credit=owner.credit_code, user_id=owner.user_id,
                                          session=get_session())
            except FileRejected as exc:
                raise StopValidation(exc.message) from None
            self.upload = None
            self.data = self.stored.id
        elif self.data is not None:
            self.stored = get_session().get(StoredFile, self.data)
            if self.stored is None or not _visible_to(self.stored, owner):
                self.data, self.stored = None, None
                raise StopValidation("文件不存在或已失效，请重新上传。")
        if self.stored is not None:
            _check_type(self.stored, file_type)

    @property
    def description_text(self) -> str:
        if self.stored is None and self.data is not None:
            self.stored = get_session().get(StoredFile, self.data)
        if self.stored is None:
            return ""
        return f"{self.stored.original_name}（{human_size(self.stored.size)}）"


def _check_type(stored: StoredFile, file_type: int | None) -> None:
    if file_type is None:
        return
    try:
        label, limit = file_type_limit(file_type)
    except FileRejected:
        return  # a code not in the dictionary: the 文件类型 field says so beside itself
    if stored.size > limit:
        raise StopValidation(f"{label}不能超过 {limit // (1024 * 1024)} MB，已上传的文件为 {human_size(stored.size)}。")
    if file_type == COVER_TYPE and stored.category not in COVER_CATEGORIES:
        raise StopValidation("服务商产品封面文件只能是 jpg、jpeg、png 图片。")


class DerivedText(f.DerivedField):
    """fileName / fileSize / fileCategory: shown, posted back as hidden inputs, but always re-derived
    from the stored file during validation so they cannot disagree with it."""

    placeholder = "（上传后自动填写）"

    def __init__(self, label=None, validators=None, derive=None, **kwargs):
        super().__init__(label, validators, compute=self._from_file, **kwargs)
        self.derive = derive

    def _from_file(self, form):
        stored = form.file.stored
        return self.derive(stored) if stored is not None else self.data


class UploadFileRow(SpecRow):
    """uploadFile (spec 2.3): one file of a fileList."""

    fileType = f.choice("文件类型", "file_type", integer_codes=True)
    fileName = DerivedText("文件名称", [f.Required()], derive=lambda s: s.original_name,
                           description="文件名不能超过 100 字，取自上传的文件。")
    file = StoredFileField("文件内容", [f.Required()])
    fileSize = DerivedText("文件大小", [f.Required()], derive=wire_size, description="字节数。")
    fileCategory = DerivedText("文件类别", [f.Required()], derive=lambda s: s.category,
                               description="上传类别：" + "、".join(sniff.CATEGORIES) + "。")

    def validate(self, extra_validators=None):
        # The upload is stored first: the derived fields read the stored file.
        self.fileType.validate(self)
        self.file.validate(self)
        return super().validate(extra_validators)

    def validate_fileCategory(self, field):
        if field.data and field.data not in sniff.CATEGORIES:
            raise ValidationError("文件类别只能是 " + "、".join(sniff.CATEGORIES) + "。")
