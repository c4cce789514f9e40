"""The append-only audit log.

Rows are only ever inserted (the migration adds triggers that refuse UPDATE and DELETE on SQLite).
`seq` orders the chain; `prev_hash`/`row_hash` are left empty for now and are meant for the SM3-HMAC
chain of a later issue: row_hash = HMAC-SM3(key, prev_hash ‖ canonical row), so any edit or gap shows.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel, select

from app.db import utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    seq: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, index=True)  # no FK: the log outlives accounts
    actor_name: str = Field(default="", max_length=64)
    actor_role: str = Field(default="", max_length=32)
    ip: str = Field(default="", max_length=45)
    action: str = Field(max_length=64, index=True)
    target_type: str = Field(default="", max_length=32)
    target_id: str = Field(default="", max_length=64)
    region_code: str = Field(default="", max_length=12, index=True)
    outcome: str = Field(default="success", max_length=16)  # success / failure / denied
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    prev_hash: str | None = Field(default=None, max_length=64)
    row_hash: str | None = Field(default=None, max_length=64)


ACTION_LABELS = {
    "login.success": "登录成功",
    "login.failure": "登录失败",
    "account.locked": "账号锁定",
    "logout": "退出登录",
    "user.create": "创建用户",
    "user.update": "修改用户",
    "user.role_change": "变更角色或区域",
    "user.enable": "启用用户",
    "user.disable": "停用用户",
    "user.unlock": "解锁用户",
    "user.sign_out": "强制下线",
    "user.password_reset": "重置密码",
    "user.password_change": "修改密码",
    "idp.login": "统一身份认证登录",
    "idp.link": "绑定统一身份认证账号",
    "idp.apply": "申请开通账号（统一身份认证）",
    "idp.activate": "开通统一身份认证账号",
    "idp.reject": "驳回开通申请",
    "idp.settings": "修改统一身份认证设置",
    "oauth_app.create": "登记第三方应用",
    "oauth_app.delete": "删除第三方应用",
    "oauth.consent": "授权第三方应用",
    "oauth.revoke": "撤销第三方应用授权",
    "oauth.token_revoke": "第三方应用注销令牌",
    "oauth.code_replay": "授权码被重复使用",
    "review.submit": "提交审核",
    "review.approve": "审核通过",
    "review.confirm": "市级确认通过",
    "review.reject": "驳回申请",
    "review.return": "退回修改",
    "review.bulk_approve": "批量审核通过",
    "review.direct": "主管部门直接入库",
    "hub.register": "登记下级平台",
    "hub.update": "修改下级平台",
    "hub.approve": "批准下级平台",
    "hub.reject": "驳回下级平台",
    "hub.enable": "启用下级平台",
    "hub.disable": "停用下级平台",
    "hub.rotate": "轮换下级平台密钥",
    "hub.docking_on": "开启对接",
    "hub.docking_off": "关闭对接",
    "hub.receive": "接收下级平台推送",
    "hub.denied": "拒绝下级平台调用",
    "docking.settings": "修改上级平台对接配置",
    "docking.test_connection": "测试上级平台连接",
    "docking.queue": "加入推送队列",
    "docking.push": "推送到上级平台",
    "docking.retry": "重试推送",
    "docking.drop": "放弃推送",
    "docking.paused": "推送暂停",
    "docking.resume": "恢复推送",
    "evaluation.start": "开始数字化水平自评测",
    "evaluation.complete": "完成数字化水平自评测",
    "evaluation.assign": "指派现场评定",
    "evaluation.evidence": "上传现场评定支撑材料",
    "evaluation.onsite_submit": "提交现场评定结果",
    "evaluation.confirm": "企业确认现场评定结果",
    "evaluation.object": "企业对现场评定结果提出异议",
    "evaluation.approve": "现场评定审核通过",  # before the review queue decided on-site results
    "evaluation.return": "现场评定退回修改",
    "evaluation.reject": "现场评定驳回",
    "evaluation.archive": "现场评定等级写入一企一档",
    "evaluation.rules_correct": "修订数字化水平评测指标",
}

TARGET_LABELS = {"user": "用户", "review": "审核申请",
                 "oauth_app": "第三方应用", "idp_identity": "统一身份认证申请", "idp_setting": "统一身份认证设置",
                 "docking_setting": "上级平台对接配置", "docking_outbox": "推送队列",
                 "hub_platform": "下级平台", "evaluation": "数字化水平评测", "evaluation_rules": "数字化水平评测指标"}


def events_query(*, action: str = "", actor: str = "", outcome: str = "", start=None, end=None):
    """The audit page's list, newest first; `start`/`end` are aware datetimes (end exclusive)."""
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if actor:
        stmt = stmt.where(AuditEvent.actor_name.ilike(f"%{actor}%"))
    if outcome:
        stmt = stmt.where(AuditEvent.outcome == outcome)
    if start is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(AuditEvent.occurred_at < end)
    return stmt.order_by(AuditEvent.seq.desc())
