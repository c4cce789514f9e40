"""Account decisions: authentication with lockout, creating and changing users. Each decision and its
audit event are written in one transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlmodel import Session

from app.accounts import passwords, roles, sessions
from app.accounts.models import User, get_user_by_username
from app.accounts.scope import region_covers
from app.audit.service import record
from app.db import utcnow, write
from app.refusal import Refused
from app.site.templating import to_local

GENERIC_FAILURE = "用户名或密码错误。"



@dataclass
class LoginResult:
    user: User | None
    error: str | None = None


def authenticate(session: Session, username: str, password: str) -> LoginResult:
    """Check a local login, counting failures and locking the account after too many."""
    cfg = current_app.config
    with write(session):
        user = get_user_by_username(username, session=session)
        now = utcnow()
        if user is None:
            passwords.verify_password("", password)  # same cost as a real check
            record(session, "login.failure", actor_name=username[:64], outcome="failure",
                   detail={"reason": "unknown_user"})
            return LoginResult(None, GENERIC_FAILURE)
        if user.is_locked(now):
            record(session, "login.failure", actor=user, outcome="denied", detail={"reason": "locked"})
            until = to_local(user.locked_until)
            return LoginResult(None, f"账号已被锁定，请于 {until} 之后再试，或联系安全管理员解锁。")
        if not passwords.verify_password(user.password_hash, password):
            user.failed_logins += 1
            record(session, "login.failure", actor=user, outcome="failure",
                   detail={"reason": "bad_password", "failures": user.failed_logins})
            if user.failed_logins >= cfg["LOGIN_MAX_FAILURES"]:
                user.locked_until = now + timedelta(minutes=cfg["LOCKOUT_MINUTES"])
                user.failed_logins = 0
                record(session, "account.locked", actor=user, target_type="user", target_id=user.id,
                       region_code=user.region_code, detail={"minutes": cfg["LOCKOUT_MINUTES"]})
                return LoginResult(None, f"连续 {cfg['LOGIN_MAX_FAILURES']} 次密码错误，账号已锁定 "
                                         f"{cfg['LOCKOUT_MINUTES']} 分钟。")
            return LoginResult(None, GENERIC_FAILURE)
        if not user.is_active:
            record(session, "login.failure", actor=user, outcome="denied", detail={"reason": "disabled"})
            return LoginResult(None, "账号已停用，请联系管理员。")
        user.failed_logins = 0
        user.locked_until = None
        user.previous_login_at, user.last_login_at = user.last_login_at, now
        sessions.start(user)
        record(session, "login.success", actor=user, region_code=user.region_code)
        return LoginResult(user)


def logout(session: Session, user: User) -> None:
    with write(session):
        sessions.end_current("logout")
        record(session, "logout", actor=user, region_code=user.region_code)


def check_assignment(actor_role: str | None, actor_region: str | None, *, role: str, region_code: str,
                     credit_code: str | None) -> None:
    """Refuse a role/region/binding the actor may not give. actor_role None = the command line."""
    if role not in roles.LABELS:
        raise Refused("角色不存在。", "role")
    if actor_role is not None:
        if role not in roles.MANAGEABLE.get(actor_role, ()):
            raise Refused(f"您不能创建或修改“{roles.LABELS[role]}”账号。", "role")
        if not region_covers(actor_region or "", region_code):
            raise Refused("所选区域不在您的管辖范围内。", "region")
    if role in roles.BOUND_ROLES and not credit_code:
        raise Refused(f"{roles.LABELS[role]}必须绑定统一社会信用代码。", "credit_code")


def create_user(session: Session, *, actor: User | None, username: str, role: str, region_code: str,
                password: str, display_name: str = "", credit_code: str | None = None, phone: str = "",
                must_change_password: bool = True) -> User:
    """Create an account. The caller has validated the fields' formats; this checks the rules between them."""
    check_assignment(actor.role if actor else None, actor.region_code if actor else None,
                     role=role, region_code=region_code, credit_code=credit_code)
    problem = passwords.policy_problem(password, min_length=current_app.config["PASSWORD_MIN_LENGTH"],
                                       username=username)
    if problem:
        raise Refused(problem, "new_password")
    with write(session):
        if get_user_by_username(username, session=session) is not None:
            raise Refused("用户名已被使用。", "username")
        user = User(
            username=username, role=role, region_code=region_code, display_name=display_name,
            credit_code=credit_code if role in roles.BOUND_ROLES else None, phone=phone,
            password_hash=passwords.hash_password(password), must_change_password=must_change_password,
            password_changed_at=utcnow(),
        )
        session.add(user)
        session.flush()
        record(session, "user.create", actor=actor, actor_name=None if actor else "命令行",
               target_type="user", target_id=user.id, region_code=region_code,
               detail={"username": username, "role": role, "credit_code": user.credit_code})
    return user


def update_user(session: Session, *, actor: User, user: User, display_name: str, role: str,
                region_code: str, credit_code: str | None, phone: str) -> dict:
    """Change an account's profile, role or region; returns what changed (also audited)."""
    if user.id == actor.id and role != user.role:
        raise Refused("不能修改自己的角色。", "role")
    check_assignment(actor.role, actor.region_code, role=role, region_code=region_code, credit_code=credit_code)
    new = {"display_name": display_name, "role": role, "region_code": region_code,
           "credit_code": credit_code if role in roles.BOUND_ROLES else None, "phone": phone}
    with write(session, fresh=[user]):
        changes = {k: [getattr(user, k), v] for k, v in new.items() if getattr(user, k) != v}
        if not changes:
            return {}
        for key, (_, value) in changes.items():
            setattr(user, key, value)
        user.updated_at = utcnow()
        action = "user.role_change" if "role" in changes or "region_code" in changes else "user.update"
        record(session, action, actor=actor, target_type="user", target_id=user.id,
               region_code=user.region_code, detail={"username": user.username, "changes": changes})
        if "role" in changes or "region_code" in changes or "credit_code" in changes:
            sessions.end_all(user.id, "admin")  # new rights take effect at the next login
    return changes


def set_active(session: Session, *, actor: User, user: User, active: bool) -> None:
    if user.id == actor.id:
        raise Refused("不能停用自己的账号。")
    with write(session, fresh=[user]):
        user.is_active = active
        user.updated_at = utcnow()
        if not active:
            sessions.end_all(user.id, "disabled")
        record(session, "user.enable" if active else "user.disable", actor=actor, target_type="user",
               target_id=user.id, region_code=user.region_code, detail={"username": user.username})


def unlock(session: Session, *, actor: User, user: User) -> None:
    with write(session, fresh=[user]):
        user.locked_until = None
        user.failed_logins = 0
        record(session, "user.unlock", actor=actor, target_type="user", target_id=user.id,
               region_code=user.region_code, detail={"username": user.username})


def sign_out_everywhere(session: Session, *, actor: User, user: User) -> int:
    with write(session):
        count = sessions.end_all(user.id, "admin")
        record(session, "user.sign_out", actor=actor, target_type="user", target_id=user.id,
               region_code=user.region_code, detail={"username": user.username, "sessions": count})
    return count


def reset_password(session: Session, *, actor: User, user: User) -> str:
    """Give the account a new random password (shown once to the administrator), to be changed at login."""
    if user.id == actor.id:
        raise Refused("请通过“修改密码”修改自己的密码。")
    new_password = passwords.generate_password()
    with write(session, fresh=[user]):
        user.password_hash = passwords.hash_password(new_password)
        user.must_change_password = True
        user.password_changed_at = utcnow()
        user.locked_until, user.failed_logins = None, 0
        sessions.end_all(user.id, "password")
        record(session, "user.password_reset", actor=actor, target_type="user", target_id=user.id,
               region_code=user.region_code, detail={"username": user.username})
    return new_password


def change_own_password(session: Session, *, user: User, current: str, new: str) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise Refused("当前密码不正确。", "current_password")
    if current == new:
        raise Refused("新密码不能与当前密码相同。", "new_password")
    problem = passwords.policy_problem(new, min_length=current_app.config["PASSWORD_MIN_LENGTH"],
                                       username=user.username)
    if problem:
        raise Refused(problem, "new_password")
    with write(session):
        user.password_hash = passwords.hash_password(new)
        user.must_change_password = False
        user.password_changed_at = utcnow()
        record(session, "user.password_change", actor=user, target_type="user", target_id=user.id,
               region_code=user.region_code)
