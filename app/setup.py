"""Bring posts, functions, FAB roles and permissions in line with :mod:`app.permissions`.

Part of the shell (`flask setup`): FAB's own permission sync commits as it goes, so this
runs its steps in order and commits between them.
"""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.permissions import FUNCTIONS, POSTS, SELF_SERVICE, SYS_ADMIN
from app.services.roles import permission_views, prepare_unit_role
from models import AppFunction, Post, UnitRole


def _role(session: Session, name: str) -> Role:
    role = session.scalar(select(Role).where(Role.name == name))
    if role is None:
        role = Role(name=name)
        session.add(role)
        session.flush()
    return role


def sync_security(appbuilder: AppBuilder) -> None:
    """Create or update every post, function, role and permission; safe to run repeatedly.

    :param appbuilder: the application's AppBuilder, whose views define the permissions
    """
    session: Session = appbuilder.session
    sm = appbuilder.sm
    admin_role = _role(session, sm.auth_role_admin)
    _role(session, sm.auth_role_public)
    session.commit()
    appbuilder.add_permissions(update_perms=True)
    # Drop permissions of views that no longer exist, so no stale grant outlives its screen.
    appbuilder.security_cleanup()

    for order, spec in enumerate(POSTS):
        post = session.scalar(select(Post).where(Post.code == spec.code))
        if post is None:
            post = Post(code=spec.code)
            session.add(post)
        post.name, post.unit_kind, post.sort_order = spec.name, spec.unit_kind, order
        if spec.code == SYS_ADMIN:
            post.role = admin_role
            continue
        post.role = _role(session, spec.name)
        post.role.permissions = permission_views(session, {*SELF_SERVICE, *spec.grants})

    known = {f.code: f for f in session.scalars(select(AppFunction))}
    for order, fspec in enumerate(FUNCTIONS):
        function = known.get(fspec.code) or AppFunction(code=fspec.code)
        function.name, function.sort_order = fspec.name, order
        session.add(function)
    session.flush()
    for unit_role in session.scalars(select(UnitRole)):
        unit_role.functions = [f for f in unit_role.functions if f.code in {
            spec.code for spec in FUNCTIONS
        }]
        prepare_unit_role(session, unit_role, None)
    session.commit()
