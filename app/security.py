"""The security manager: operators with unit and post, effective roles, password policy."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app, g, has_request_context
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.passwords import PasswordPolicyError, check_password
from app.timezone import utcnow
from models import Operator, UnitRegistration
from views.accounts import LoginApi, LoginView
from views.security import MyPasswordView, ProfileEditView, ProfileView, RoleView

log = logging.getLogger(__name__)


class ProcurementSecurityManager(SecurityManager):
    """FAB's SQLAlchemy security manager, extended for units, posts and unit roles."""

    user_model = Operator
    userdbmodelview = ProfileView
    userinfoeditview = ProfileEditView
    resetmypasswordview = MyPasswordView
    rolemodelview = RoleView
    authdbview = LoginView
    security_api = LoginApi

    def register_views(self) -> None:
        """Register only the security views this product uses.

        FAB's own user, group and permission screens are replaced by 操作人员管理 and 角色定制;
        its "reset any user's password by pk" view is deliberately not registered.
        """
        self.appbuilder.add_api(self.security_api)
        self.appbuilder.add_view_no_menu(self.userinfoeditview())
        self.appbuilder.add_view_no_menu(self.resetmypasswordview())
        self.auth_view = self.authdbview()
        self.appbuilder.add_view_no_menu(self.auth_view)
        self.user_view = self.appbuilder.add_view_no_menu(self.userdbmodelview)
        self.appbuilder.add_view(
            self.rolemodelview,
            "RoleList",
            icon="fa-user-gear",
            label=_l("角色权限"),
            category="SystemAdmin",
            category_label=_l("系统管理"),
            category_icon="fa-cogs",
        )

    def get_user_roles(self, user: Any) -> list[Any]:
        """Roles of ``user``: their FAB roles, their post's role and their unit roles."""
        roles = list(super().get_user_roles(user))
        if not getattr(user, "is_authenticated", False):
            return roles
        extra = []
        post = getattr(user, "post", None)
        if post is not None and post.role is not None:
            extra.append(post.role)
        extra.extend(r.role for r in getattr(user, "unit_roles", []) if r.role is not None)
        for role in extra:
            if role not in roles:
                roles.append(role)
        return roles

    def exist_permission_on_roles(self, view_name: str, permission_name: str,
                                  role_ids: list[int]) -> bool:
        """FAB's permission check, answered from the roles' permissions read once per request.

        A page asks for every menu entry and button; one query per request replaces one per
        question. Outside a request (CLI, scheduler) every question still goes to the database.
        """
        if not has_request_context():
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        key = tuple(sorted(role_ids))
        known: dict[tuple[int, ...], set[tuple[str, str]]] = g.setdefault(
            "_role_permissions", {})
        if key not in known:
            known[key] = self._permissions_of(key)
        return (permission_name, view_name) in known[key]

    def _permissions_of(self, role_ids: tuple[int, ...]) -> set[tuple[str, str]]:
        pv, role_link = self.permissionview_model, assoc_permissionview_role
        rows = self.session.execute(
            select(self.permission_model.name, self.viewmenu_model.name)
            .select_from(pv)
            .join(role_link, pv.id == role_link.c.permission_view_id)
            .join(self.permission_model, pv.permission_id == self.permission_model.id)
            .join(self.viewmenu_model, pv.view_menu_id == self.viewmenu_model.id)
            .where(role_link.c.role_id.in_(role_ids)))
        return {(permission, view) for permission, view in rows}

    def auth_user_db(self, username: str, password: str) -> Any:
        """Authenticate by login account, with lockout after repeated failures.

        The web login (which sets ``g.accept_temporary_password``) also accepts a live
        temporary password once; it ends a lockout, as the lockout message promises. A refusal
        worth explaining is left in ``g.login_refusal``.
        """
        from app.services.accounts import use_temporary_password

        g.login_refusal = None
        # Accounts never contain "@"; FAB would also accept the e-mail, around the lockout.
        if not username or "@" in username:
            return None
        user = self.find_user(username=username)
        now = utcnow()
        temporary = bool(g.get("accept_temporary_password")) and bool(password)
        if user is not None and user.locked_until is not None and user.locked_until > now:
            if temporary and user.is_active and \
                    use_temporary_password(self.session, user, password):
                user.locked_until = None
                self.update_user_auth_stat(user, True)
                return self._admit(user)
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            g.login_refusal = f"登录失败次数过多，账号已暂时锁定，请{minutes}分钟后再试或找回密码。"
            return None
        found = super().auth_user_db(username, password)
        if found is None and user is not None and user.is_active:
            if temporary and use_temporary_password(self.session, user, password):
                self.update_user_auth_stat(user, True)
                found = user
            else:
                self._count_failure(user, now)
        return self._admit(found) if found is not None else None

    def _admit(self, user: Operator) -> Operator | None:
        if not self._unit_may_sign_in(user):
            log.info("login refused: unit %s is inactive", user.unit_id)
            return None
        if user.must_change_password and not g.get("accept_temporary_password"):
            g.login_refusal = "请先在网页登录并修改密码。"
            return None
        return user

    def _count_failure(self, user: Operator, now: Any) -> None:
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        if (user.fail_login_count or 0) >= limit:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.fail_login_count = 0
            self.session.commit()
            log.warning("account %s locked after %s failed logins", user.id, limit)

    def _unit_may_sign_in(self, user: Operator) -> bool:
        """An active unit, or one whose self-registration awaits the 市采购办's review."""
        if user.unit is None or user.unit.active:
            return True
        return self.session.query(UnitRegistration.id).filter(
            UnitRegistration.unit_id == user.unit_id,
            UnitRegistration.status != "completed").first() is not None

    def add_user(self, username: str, first_name: str, last_name: str, email: str,
                 role: Any = None, password: str = "", hashed_password: str = "",
                 **kwargs: Any) -> Any:
        """Create a user; a plain-text password must satisfy the policy (CLI included)."""
        if password and not hashed_password:
            try:
                check_password(password)
            except PasswordPolicyError as exc:
                log.error("用户 %s 未创建：%s", username, exc)
                return False
        return super().add_user(
            username, first_name, last_name, email, role=role, password=password,
            hashed_password=hashed_password, **kwargs,
        )

    def reset_password(self, userid: Any, password: str) -> None:
        """Change a password; refuses one that does not satisfy the policy."""
        check_password(password)
        super().reset_password(userid, password)
