"""The security manager: operators with unit and post, effective roles, password policy."""

from __future__ import annotations

import logging
from typing import Any

from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_babel import lazy_gettext as _l

from app.passwords import PasswordPolicyError, check_password
from models import Operator
from views.security import MyPasswordView, ProfileEditView, ProfileView, RoleView

log = logging.getLogger(__name__)


class ProcurementSecurityManager(SecurityManager):
    """FAB's SQLAlchemy security manager, extended for units, posts and unit roles."""

    user_model = Operator
    userdbmodelview = ProfileView
    userinfoeditview = ProfileEditView
    resetmypasswordview = MyPasswordView
    rolemodelview = RoleView

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

    def auth_user_db(self, username: str, password: str) -> Any:
        """Authenticate, and refuse operators whose unit has been deactivated."""
        user = super().auth_user_db(username, password)
        if user is not None and user.unit is not None and not user.unit.active:
            log.info("login refused: unit %s is inactive", user.unit_id)
            return None
        return user

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
