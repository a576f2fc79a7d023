"""The security manager: operators with unit and post, effective roles, password policy."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, g, has_request_context
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.credentials import parse_identity, register_jwt_refusals
from app.passwords import PasswordPolicyError, check_password
from app.ratelimit import LoginGuard, remember_failures
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

    def load_user(self, pk: Any) -> Operator | None:
        """The operator of a session cookie or JWT identity ``"<id>:<credential_version>"``.

        None (signed out, or 401 for a token) when the value is malformed or an old-style bare
        id, the account is gone or inactive, or its version has been raised since
        (:func:`app.services.operators.end_sessions`). Never raises: the value comes from
        the client.
        """
        parsed = parse_identity(pk)
        if parsed is None:
            return None
        operator_id, version = parsed
        user = self.get_user_by_id(operator_id)
        if not isinstance(user, Operator) or not user.is_active or \
                user.credential_version != version:
            return None
        return user

    def create_jwt_manager(self, app: Any) -> Any:
        """FAB's JWT manager, answering refused tokens in Chinese."""
        manager = super().create_jwt_manager(app)
        register_jwt_refusals(manager)
        return manager

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
        """Authenticate by login account; failures lock this client out of this account.

        After LOGIN_MAX_FAILURES wrong passwords from one client, that client is refused for
        the account for LOGIN_LOCK_MINUTES while its owner still signs in from elsewhere; many
        failures from all clients only slow the account's answers down
        (:class:`app.ratelimit.LoginGuard`). An unknown name is counted, answered and worked on
        like a known one. The web login (which sets ``g.accept_temporary_password``) also
        accepts a live temporary password once, even from a locked-out client, as the lock
        message promises. A refusal worth explaining is left in ``g.login_refusal``.
        """
        g.login_refusal = None
        name = (username or "").strip()
        if not name:
            return None
        # Accounts never contain "@"; FAB would also accept the e-mail, around the counts.
        user = None if "@" in name else self.find_user(username=name)
        guard = LoginGuard(name, user.login_epoch if user is not None else 0)
        guard.slow_down()
        from app.services.accounts import supplier_shaped

        # Told by the name's shape, not the account: the answer must not say whether it exists.
        refusal = guard.refusal(recovery=supplier_shaped(name))
        found = self._temporary(user, password)
        if found is None and refusal is None:
            if "@" in name:
                self._balance()  # refused like an unknown name, with the same work
            else:
                found = super().auth_user_db(name, password)
        if found is None:
            if refusal is None:
                guard.failed()
            else:
                self._balance()
            g.login_refusal = refusal
            return None
        guard.succeeded()
        return self._admit(found)

    def _temporary(self, user: Operator | None, password: str) -> Operator | None:
        """The user, signed in with a live temporary password (web login only), else None."""
        from app.services.accounts import use_temporary_password

        if not (g.get("accept_temporary_password") and password and user is not None
                and user.is_active):
            return None
        if not use_temporary_password(self.session, user, password):
            return None
        self.update_user_auth_stat(user, True)
        return user

    def _balance(self) -> None:
        # As much work as checking a password, so that a refusal takes as long as a failure.
        check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"], "password")

    def update_user_auth_stat(self, user: Any, success: bool = True) -> None:
        """FAB's sign-in statistics, plus the time of the last failure.

        The failures since the last sign-in are shown by the web login
        (``g.show_login_failures``, :func:`app.ratelimit.pending_notice`); a REST sign-in
        cannot show them, so it leaves the count for the next web login to report.
        """
        if not success:
            user.last_failed_login = utcnow()
            super().update_user_auth_stat(user, False)
            return
        shown = bool(g.get("show_login_failures"))
        if shown:
            remember_failures(user.fail_login_count, user.last_failed_login)
        kept = None if shown else user.fail_login_count
        super().update_user_auth_stat(user, True)
        if kept:
            user.fail_login_count = kept
            self.session.commit()

    def _admit(self, user: Operator) -> Operator | None:
        if not self._unit_may_sign_in(user):
            log.info("login refused: unit %s is inactive", user.unit_id)
            return None
        if user.must_change_password and not g.get("accept_temporary_password"):
            g.login_refusal = "请先在网页登录并修改密码。"
            return None
        return user

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
        """Change a password (``flask fab reset-password``); refuses one that does not satisfy
        the policy and ends the account's sessions and tokens."""
        from app.services.operators import end_sessions

        check_password(password)
        user = self.get_user_by_id(userid)
        if user is not None:
            # FAB's reset commits the update below, the version with it.
            end_sessions(self.session, user)
        super().reset_password(userid, password)
