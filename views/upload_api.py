"""REST create and change for records whose service needs a file (contracts, method changes)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from marshmallow import Schema, ValidationError
from werkzeug.datastructures import FileStorage

from app.services.errors import ServiceError
from views.base import request_body
from views.workflow_api import WorkflowRecordApi

NOT_JSON = "请求内容不是有效的JSON。"


class UploadRecordApi(WorkflowRecordApi):
    """``POST /`` and ``PUT /<id>``: JSON, or multipart with the JSON in part ``data`` and a file.

    A subclass copies the body onto the record in :meth:`fill` and validates it in
    :meth:`prepare`; either may raise a :class:`ServiceError`, which leaves nothing changed.
    """

    body_schema: type[Schema]
    file_part: str

    def fill(self, item: Any, data: dict[str, Any]) -> None:
        """Copy the validated body onto the record."""
        raise NotImplementedError

    def prepare(self, item: Any, upload: FileStorage | None, data: dict[str, Any],
                creating: bool) -> None:
        """Run the service's checks (and store the file)."""
        raise NotImplementedError

    def _save(self, item: Any, creating: bool) -> Response:
        try:
            data = request_body(self.body_schema())
        except (ValidationError, ValueError) as err:
            return self.response_422(message=getattr(err, "messages", NOT_JSON))
        try:
            self.fill(item, data)
            self.prepare(item, request.files.get(self.file_part), data, creating)
            self.db_session.add(item)
            self.db_session.commit()
        except ServiceError as exc:
            self.db_session.rollback()
            return self.response(exc.status, message=exc.message)
        return self.response(201 if creating else 200, id=item.id,
                             result=self.show_model_schema.dump(item))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def post(self) -> Response:
        """保存 a new draft.
        ---
        post:
          responses:
            201:
              description: 已保存
            422:
              description: 不符合规则（message 说明原因）
        """
        return self._save(self.datamodel.obj(), creating=True)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk: int) -> Response:
        """Change a draft, returned or withdrawn record (the whole body, as for 新增).
        ---
        put:
          responses:
            200:
              description: 已保存
        """
        item = self._record(pk)
        if item is None:
            return self.response_404()
        return self._save(item, creating=False)
